#!perl
# Load, nothing lost: 4 ithreads x 100 000 $waker->signal plus 2 forked
# children x 100 000 each, all while the loop runs.  The counts on_wakeup
# sees, plus a final drain, add up to exactly 600 000.
use v5.36;
use Config;
BEGIN {
    unless ($Config{useithreads}) {
        print "1..0 # SKIP this perl is built without ithreads\n";
        exit 0;
    }
}
use threads;
use Test::More;

# Watchdog: a wakeup that is lost makes the loop wait forever; that is a
# failure, never a hang.
BEGIN { alarm 120 }

use POSIX ();
use Linux::Event;
use FindBin;
use lib "$FindBin::Bin/lib";
use LE::Test qw(now have_pidfd);

my $PER     = 100_000;
my $THREADS = 4;
my $KIDS    = 2;
my $EXPECT  = $PER * ($THREADS + $KIDS);

my $loop  = Linux::Event->new;
my $waker = $loop->waker;

my ($total, $calls, $zero, $biggest) = (0, 0, 0, 0);
$waker->on_wakeup(sub ($l, $n) {
    $calls++;
    $zero++ unless $n > 0;
    $total += $n;
    $biggest = $n if $n > $biggest;
});

# Children first (fork from a process without threads), released together
# with the threads through a pipe so every signaller runs while the loop runs.
pipe(my $gate_r, my $gate_w) or die "pipe: $!";
my %kid_status;
my @kids;
for my $k (1 .. $KIDS) {
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        close $gate_w;
        alarm 60;
        sysread($gate_r, my $go, 1);    # one byte each when the parent opens the gate
        my $ok = 0;
        for (1 .. $PER) { $ok++ if eval { $waker->signal } }
        POSIX::_exit($ok == $PER ? 0 : 1);
    }
    push @kids, $pid;
}
close $gate_r;
# Without pidfd_open (Linux 5.3) the watchdog below reaps them instead.
my $HAVE_PIDFD = have_pidfd();
for my $pid ($HAVE_PIDFD ? @kids : ()) {
    $loop->pid($pid, sub ($l, $p, $status, $data) { $kid_status{$p} = $status });
}

my $t0 = now();
my @thr = map {
    threads->create(sub {
        my $ok = 0;
        for (1 .. $PER) { $ok++ if $waker->signal }
        return $ok;
    });
} 1 .. $THREADS;
syswrite($gate_w, "g" x $KIDS) == $KIDS or die "gate: $!";    # go, children
# (threads hold dups of $gate_w, so EOF would come only after their join)

# A watchdog timer polls until every thread and child has finished.
my $deadline = now() + 90;
my $poll;
$poll = sub ($l) {
    my $busy = grep { $_->is_running } @thr;
    unless ($HAVE_PIDFD) {
        for my $kid (grep { !exists $kid_status{$_} } @kids) {
            $kid_status{$kid} = $? if waitpid($kid, POSIX::WNOHANG()) == $kid;
        }
    }
    if ((!$busy && keys %kid_status == $KIDS) || now() > $deadline) {
        $l->stop;
        return;
    }
    $l->after(0.05, $poll);
};
$loop->after(0.05, $poll);
$loop->run;
undef $poll;
my $elapsed = now() - $t0;

my @ok = map { $_->join } @thr;
is_deeply \@ok, [($PER) x $THREADS], 'every $waker->signal in every thread returned true';
is scalar(keys %kid_status), $KIDS, 'both children were seen to exit' . ($HAVE_PIDFD ? ' through $loop->pid' : '');
for my $pid (@kids) {
    my $st = $kid_status{$pid};
    ok defined $st && POSIX::WIFEXITED($st) && POSIX::WEXITSTATUS($st) == 0,
        "child $pid: all $PER signals returned true (status " . ($st // 'undef') . ')';
}

$loop->run_once(0);
my $rest = $waker->drain;
cmp_ok $calls, '>', 1, 'on_wakeup was called while the signallers ran';
is $zero, 0, 'on_wakeup was never called with a zero count';
is $total + $rest, $EXPECT, "on_wakeup counts + final drain == $EXPECT exactly";
is $waker->drain, 0, 'nothing more to drain';

diag sprintf '%d signals from %d threads + %d children in %.2f s: %d on_wakeup calls '
    . '(largest coalesced count %d), final drain %d',
    $EXPECT, $THREADS, $KIDS, $elapsed, $calls, $biggest, $rest;

# The loop still wakes afterwards.
$waker->signal(5);
my $got = 0;
$waker->on_wakeup(sub ($l, $n) { $got += $n });
my $t1 = now();
$loop->run_once(5);
is $got, 5, 'the loop is still woken by its waker afterwards';
cmp_ok now() - $t1, '<', 2, '... promptly';

done_testing;
