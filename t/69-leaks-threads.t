#!perl
# Leaks, measured from /proc/self: threads started and joined, each with a
# clone of a loop (with a watcher, a timer, a signal and a pid subscription)
# and of its waker, which the thread signals: RSS growth under 10 MB, the fd
# count back to the start, the loop intact afterwards, every signal counted.
#
# The issue asks for 10 000 threads (LE_TEST_THREADS overrides the count).
# Perl clones the whole interpreter for each thread, and with Test::More
# loaded that takes ~15 ms a thread on this machine (Test2 is big), so the
# threads run in a separate perl that loads only threads, Linux::Event and
# the light LE::Test (~1.5 ms a thread) and reports its figures on stdout.
use v5.36;
use Config;
BEGIN {
    unless ($Config{useithreads}) {
        print "1..0 # SKIP this perl is built without ithreads\n";
        exit 0;
    }
}
use Test::More;

# A watchdog only: on a loaded 2-CPU machine (prove -j4) the threads take
# minutes, and nothing below depends on how long they take.
BEGIN { alarm 900 }

use FindBin;
use lib "$FindBin::Bin/lib";
use LE::Test qw(now read_report have_pidfd);

my $N = $ENV{LE_TEST_THREADS} // 10_000;
my @inc = map { "-I$_" } grep { !ref } @INC;
my $script = do { local $/; <DATA> };
my $t0 = now();
my $HAVE_PIDFD = have_pidfd();
open(my $out, '-|', $^X, @inc, '-e', $script, $N, $HAVE_PIDFD) or die "cannot run perl: $!";
my %r = read_report($out);
close $out;
my $status = $?;
my $wall = now() - $t0;
is $status, 0, 'the thread runner exited normally (no crash, no signal)'
    or diag "wait status $status";
diag "runner: $r{error}" if defined $r{error};

is $r{made}, $N + $r{warm}, "$N threads (plus $r{warm} warm-up) started and joined";
is $r{bad}, 0, 'in each, $waker->signal worked and a watcher change croaked "another thread"';
is $r{total}, $r{made}, 'every signal from every thread was counted by the loop';
cmp_ok $r{rss1} - $r{rss0}, '<', 10 * 1024, "$N threads: RSS growth under 10 MB";
is $r{fds1}, $r{fds0}, "$N threads: fd count back to $r{fds0}";
diag sprintf '%d threads started and joined in %.2f s (%.2f ms each): RSS %.1f -> %.1f MB (%+.2f MB), fds %d -> %d; runner wall time %.1f s',
    $N, $r{dt}, 1000 * $r{dt} / $N, $r{rss0} / 1024, $r{rss1} / 1024, ($r{rss1} - $r{rss0}) / 1024,
    $r{fds0}, $r{fds1}, $wall;

is $r{watcher_active}, 1, 'the watcher is still active afterwards';
is $r{read_enabled}, 1, '... with its read direction enabled';
is $r{subs_active}, 1, 'the signal and pid subscriptions are still active';
is $r{reads}, 1, 'the watcher still fires';
SKIP: {
    skip 'pidfd_open(2) is not available here', 1 unless $HAVE_PIDFD;
    is $r{child_reported}, 1, 'the pid subscription still reports the child';
}
is $r{woken}, 3, 'the waker still wakes the loop';
is $r{timer_early}, 0, 'the 30 s timer did not fire early (measured from when it was scheduled)';

done_testing;

__DATA__
use v5.36;
use threads;
use Linux::Event;
use LE::Test qw(now rss_kb fd_count);    # t/lib is in @INC through -I

$SIG{ALRM} = sub { print "error\ttimed out\n"; exit 1 };
alarm 880;

sub report ($k, $v) { print "$k\t$v\n" }

my ($N, $HAVE_PIDFD) = @ARGV;

my $loop  = Linux::Event->new;
my $waker = $loop->waker;
pipe(my $x, my $y) or die "pipe: $!";
my $reads = 0;
my $watcher = $loop->watch($x, read => sub ($l, $fh, $w) { sysread($fh, my $b, 64); $reads++ });
# Whether the timer fired before its 30 s were up, measured from the moment
# it was scheduled: the threads may well take longer than that.
my $timer_early = 0;
my $scheduled = now();
$loop->after(30, sub { $timer_early = 1 if now() - $scheduled < 30 });
my $sig = $loop->signal('USR2', sub { });
# The child lives until it is killed below, or until this runner is gone
# (its end of the pipe closes), however long the threads take.
pipe(my $hold_r, my $hold_w) or die "pipe: $!";
my $kid = fork // die "fork: $!";
if (!$kid) { close $hold_w; sysread($hold_r, my $b, 1); exit 0 }
close $hold_r;
my $pidsub = $HAVE_PIDFD ? $loop->pid($kid, sub { }) : undef;

my $total = 0;
$waker->on_wakeup(sub ($l, $n) { $total += $n });

my $made = 0;
my $bad  = 0;
my $run_thread = sub {
    my $thr = threads->create(sub {
        # Inside: the documented things work, the rest croaks; then the
        # clones are destroyed with the thread.
        my $ok = $waker->signal ? 1 : 0;
        $ok &&= !eval { $watcher->disable_read; 1 } && $@ =~ /another thread/ ? 1 : 0;
        return $ok;
    });
    $made++;
    $bad++ unless $thr && $thr->join;
};

# Warm-up (perl's and malloc's per-thread pools), then measure.
my $WARM = $N >= 1000 ? 200 : int($N / 5) || 1;
$run_thread->() for 1 .. $WARM;
$loop->run_once(0);

my ($rss0, $fds0, $t0) = (rss_kb(), fd_count(), now());
for my $i (1 .. $N) {
    $run_thread->();
    $loop->run_once(0) if $i % 100 == 0;
}
my $dt = now() - $t0;
$loop->run_once(0);
my ($rss1, $fds1) = (rss_kb(), fd_count());

$total += $waker->drain;
report(made => $made);
report(warm => $WARM);
report(bad => $bad);
report(total => $total);
report(rss0 => $rss0);
report(rss1 => $rss1);
report(fds0 => $fds0);
report(fds1 => $fds1);
report(dt => $dt);

# The loop is intact.
report(watcher_active => $watcher->is_active);
report(read_enabled => $watcher->read_enabled);
report(subs_active => $sig->is_active && (!$pidsub || $pidsub->is_active) ? 1 : 0);
syswrite($y, 'ping');
my $t = now();
$loop->run_once(0.5) until $reads || now() - $t > 5;
report(reads => $reads);
kill 'TERM', $kid;
my $status;
$pidsub = $loop->pid($kid, sub ($l, $p, $st, $d) { $status = $st }) if $HAVE_PIDFD;
waitpid($kid, 0), $status = $? unless $HAVE_PIDFD;
$t = now();
$loop->run_once(0.5) until defined $status || now() - $t > 10;
report(child_reported => defined $status && ($status & 0x7f) == 15 ? 1 : 0);
my $before = $total;
$waker->signal(3);
$loop->run_once(1);
report(woken => $total - $before);
report(timer_early => $timer_early);
exit 0;
