#!perl
# Resource exhaustion:
#  - out of file descriptors (a perl under `ulimit -n 64` that opens dups of
#    STDIN until EMFILE): creating a loop, a waker, a signal or a pid
#    subscription croaks clearly (from the caller's line), leaks nothing, and
#    loops that exist stay usable; once fds are free again, all of it works;
#  - epoll_ctl refusing a descriptor (a regular file, /dev/null): a clear
#    croak, nothing leaked, and the loop stays usable.
use v5.36;
use Test::More;

BEGIN { alarm 60 }

use IO::Handle;
use Linux::Event;
use FindBin;
use lib "$FindBin::Bin/lib";
use LE::Test qw(now rss_kb fd_count read_report have_pidfd);

my $HAVE_PIDFD = have_pidfd();

my $FILE = __FILE__;

# ---------------------------------------------------------------------------
# Out of fds, in a perl run under `ulimit -n 64`.
# ---------------------------------------------------------------------------
{
    my @inc = map { "-I$_" } grep { !ref } @INC;
    my $script = do { local $/; <DATA> };
    open(my $out, '-|', 'sh', '-c', 'ulimit -n 64 && exec "$@"', 'sh', $^X, @inc, '-e', $script)
        or die "cannot run sh: $!";
    my %r = read_report($out);
    close $out;
    my $st = $?;
    is $st, 0, 'the exhausted perl exited normally (no crash)' or diag "wait status $st";
    diag "child: $r{error}" if defined $r{error};

    is $r{limit}, 64, 'it ran with a soft limit of 64 fds';
    like $r{exhausted}, qr/Too many open files/, "it opened dups of STDIN until EMFILE ($r{held} held)";
    my @lines = split /\n/, $script;
    for my $what ('new loop', 'waker', 'signal', $HAVE_PIDFD ? 'pid' : ()) {
        my $err = $r{$what} // 'MISSING';
        my ($line) = grep { $lines[ $_ - 1 ] =~ /^report\('\Q$what\E'/ } 1 .. @lines;
        like $err, qr/Too many open files/, "out of fds: $what croaks with the system's reason";
        like $err, qr/ at -e line $line\.\s*$/, "out of fds: $what croaks from the caller's line ($line)";
    }
    like $r{'new loop'}, qr/epoll/, '... the new loop\'s message names the epoll instance';
    like $r{'waker'},    qr/eventfd/, '... the waker\'s message names the eventfd';
    like $r{'signal'},   qr/signal/, '... the signal\'s message names the signal';
    like $r{'pid'},      $HAVE_PIDFD ? qr/process/ : qr/needs pidfd_open/, '... the pid\'s message names the process';
    is $r{'fds after failures'}, $r{'fds before failures'}, 'the failed calls leaked no descriptor';
    is $r{'old timer'}, 1, 'an existing loop still fires timers while out of fds';
    is $r{'old watcher'}, 'data', 'its watcher still works';
    is $r{'old waker'}, 3, 'its waker still wakes it';
    is $r{'old signal'}, 1, 'its signal subscription still delivers';
    like $r{'waker with 1 free fd'} // 'MISSING', qr/Too many open files/,
        'with one free fd (the waker needs two), waker croaks';
    is $r{'fds after half waker'}, $r{'fds before half waker'}, '... and does not leak the eventfd it made';
    is $r{'waker with 2 free fds'}, 'ok', 'with two free fds the waker is created';
    is $r{'new waker wakes'}, 5, '... and wakes its loop';
    is $r{'new loop after'}, 'ok', 'a new loop works once fds are free';
    is $r{'signal after'}, 1, 'a signal subscription works once fds are free';
    SKIP: {
        skip 'pidfd_open(2) is not available here', 1 unless $HAVE_PIDFD;
        is $r{'pid after'}, 7, 'a pid subscription works once fds are free';
    }
}

# ---------------------------------------------------------------------------
# epoll_ctl refusing a descriptor.
# ---------------------------------------------------------------------------
{
    my $loop = Linux::Event->new;
    open(my $file, '<', $FILE) or die "open $FILE: $!";
    open(my $null, '<', '/dev/null') or die "open /dev/null: $!";
    for my $case ([ 'a regular file' => $file ], [ '/dev/null' => $null ]) {
        my ($name, $fh) = @$case;
        my $line = __LINE__ + 1;
        my $ok = eval { $loop->watch($fh, read => sub { }); 1 };
        ok !$ok, "watching $name croaks";
        like $@, qr/fd \d+ cannot be watched|cannot watch fd \d+/, '... saying the fd cannot be watched';
        like $@, qr/ at \Q$FILE\E line $line\.$/, "... from the caller's line";
        is $loop->unwatch($fh), 0, '... and nothing was registered for it';
    }
    like do { eval { $loop->watch($file, read => sub { }) }; $@ }, qr/regular file/,
        'the regular-file message says what kind of file epoll refuses';

    # Refusals leak nothing.
    my @cbs;
    for (1 .. 2000) { eval { $loop->watch($file, read => sub { }, data => [1 .. 10]) } }
    my ($rss0, $fds0) = (rss_kb(), fd_count());
    for (1 .. 20_000) { eval { $loop->watch($file, read => sub { }, write => sub { }, data => [1 .. 10]) } }
    my ($rss1, $fds1) = (rss_kb(), fd_count());
    if ($ENV{LE_UNDER_VALGRIND}) {    # valgrind holds freed blocks back: RSS says nothing there
        pass '20 000 refused watches: RSS not checked under valgrind (memcheck checks the leaks)';
    }
    else {
        cmp_ok $rss1 - $rss0, '<', 5 * 1024, '20 000 refused watches: RSS growth under 5 MB';
    }
    is $fds1, $fds0, '... and no fd leaked';
    diag sprintf '20 000 refused watches: RSS %+.2f MB, fds %d -> %d', ($rss1 - $rss0) / 1024, $fds0, $fds1;

    # A refused watch on an fd number that is already watched: the fd was
    # never watchable, so that cannot happen; but a refused watch must not
    # disturb the watchers that are there.
    pipe(my $r, my $w) or die;
    $w->autoflush(1);
    my $got = '';
    my $watcher = $loop->watch($r, read => sub ($l, $fh, $wt) { sysread($fh, my $b, 10); $got .= $b });
    eval { $loop->watch($file, read => sub { }) };
    syswrite($w, 'ok');
    my $t0 = now();
    $loop->run_once(0.1) until length $got || now() - $t0 > 5;
    is $got, 'ok', 'after refusals, an existing watcher works';
    my $fired = 0;
    $loop->after(0.001, sub { $fired++ });
    $loop->run_once(1) until $fired || now() - $t0 > 5;
    is $fired, 1, 'after refusals, timers fire';
    my $waker = $loop->waker;
    my $n = 0;
    $waker->on_wakeup(sub ($l, $c) { $n += $c });
    $waker->signal(2);
    $loop->run_once(1);
    is $n, 2, 'after refusals, the waker wakes';
}

done_testing;

__DATA__
use v5.36;
use POSIX ();
use Time::HiRes qw(clock_gettime CLOCK_MONOTONIC);
use Linux::Event;

$SIG{ALRM} = sub { print "error\ttimed out\n"; POSIX::_exit(1) };
alarm 30;
$| = 1;
sub report ($k, $v) { $v //= 'undef'; $v =~ s/\n/ /g; print "$k\t$v\n" }
sub now () { clock_gettime(CLOCK_MONOTONIC) }
# Counts open fds without opening one (lstat of /proc/self/fd/N).
sub fd_count () { scalar grep { lstat "/proc/self/fd/$_" } 0 .. 1023 }
sub try ($code) { my $ok = eval { $code->(); 1 }; return $ok ? 'ok' : $@ }

report(limit => POSIX::sysconf(POSIX::_SC_OPEN_MAX()));

# Made while fds are available.
my $old = Linux::Event->new;
my $old_waker = $old->waker;
my $old_woken = 0;
$old_waker->on_wakeup(sub ($l, $n) { $old_woken += $n });
my $old_sig = 0;
$old->signal('USR1', sub ($l, $s, $c, $d) { $old_sig += $c });
pipe(my $pr, my $pw) or die "pipe: $!";
my $old_got = '';
$old->watch($pr, read => sub ($l, $fh, $w) { sysread($fh, my $b, 10); $old_got .= $b });
my $bare = Linux::Event->new;    # no waker yet
my $kid = fork // die "fork: $!";
if (!$kid) { select undef, undef, undef, 0.5; POSIX::_exit(7) }

# Exhaust the fds.
my @held;
my $src = defined fileno(STDIN) ? \*STDIN : do { open(my $n, '<', '/dev/null') or die; $n };
while (1) {
    open(my $fh, '<&', $src) or do { report(exhausted => "$!"); last };
    push @held, $fh;
    if (@held > 100) { report(exhausted => 'never'); last }
}
report(held => scalar @held);

my $before = fd_count();
report('fds before failures' => $before);
report('new loop' => try(sub { Linux::Event->new }));
report('waker'    => try(sub { $bare->waker }));
report('signal'   => try(sub { $bare->signal('USR2', sub { }) }));
report('pid'      => try(sub { $bare->pid($kid, sub { }) }));
report('fds after failures' => fd_count());

# The existing loop works.
my $fired = 0;
$old->after(0.001, sub { $fired++ });
syswrite($pw, 'data');
$old_waker->signal(3);
kill USR1 => $$;
my $t0 = now();
$old->run_once(0.1) until ($fired && length $old_got && $old_woken && $old_sig) || now() - $t0 > 5;
report('old timer'   => $fired);
report('old watcher' => $old_got);
report('old waker'   => $old_woken);
report('old signal'  => $old_sig);

# One free fd: the waker needs two (its eventfd and the handle's dup).
close(pop @held);
report('fds before half waker' => fd_count());
report('waker with 1 free fd' => try(sub { $bare->waker }));
report('fds after half waker' => fd_count());
close(pop @held);
my $bw;
report('waker with 2 free fds' => try(sub { $bw = $bare->waker }));
if ($bw) {
    my $n = 0;
    $bw->on_wakeup(sub ($l, $c) { $n += $c });
    $bw->signal(5);
    $bare->run_once(1);
    report('new waker wakes' => $n);
}
close(pop @held) for 1 .. 6;
my $new_ok = try(sub {
    my $l = Linux::Event->new;
    my $f = 0;
    $l->after(0, sub { $f++ });
    $l->run_once(1);
    die "timer did not fire\n" unless $f;
});
report('new loop after' => $new_ok);
my $usr2 = 0;
my $sig_ok = try(sub { $bare->signal('USR2', sub ($l, $s, $c, $d) { $usr2 += $c }) });
kill USR2 => $$ if $sig_ok eq 'ok';
$t0 = now();
$bare->run_once(0.1) until $usr2 || now() - $t0 > 5;
report('signal after' => $sig_ok eq 'ok' ? $usr2 : $sig_ok);
my $st;
my $pid_ok = try(sub { $bare->pid($kid, sub ($l, $p, $s, $d) { $st = $s }) });
$t0 = now();
$bare->run_once(0.1) until defined $st || now() - $t0 > 5;
report('pid after' => $pid_ok eq 'ok' ? (defined $st ? POSIX::WEXITSTATUS($st) : 'no exit seen') : $pid_ok);
exit 0;
