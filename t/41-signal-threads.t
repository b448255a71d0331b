use v5.36;
use Config;
BEGIN {
    unless ($Config{useithreads}) {
        print "1..0 # SKIP this perl is built without ithreads\n";
        exit 0;
    }
}
use threads;
use threads::shared;
use Test::More;
use POSIX ();

# Watchdog: a hang is a failure, never a pass. SIGALRM is never subscribed.
BEGIN { alarm 120 }

use Linux::Event;
use FindBin;
use lib "$FindBin::Bin/lib";
use LE::Test qw(now run_until run_for is_blocked is_caught);

my $USR1 = POSIX::SIGUSR1();
my $USR2 = POSIX::SIGUSR2();
my $HUP  = POSIX::SIGHUP();

sub nap ($s) { select undef, undef, undef, $s }

# ---------------------------------------------------------------------------
# A program with ithreads: the signal is subscribed in the main thread; its
# disposition belongs to the process, so whichever thread the kernel hands a
# process-directed signal to, it reaches the loop and never kills the
# process (USR1's default action would).  No thread's mask is changed.
# ---------------------------------------------------------------------------
my $loop = Linux::Event->new;
my @calls;
my $sub = $loop->signal('USR1', sub { push @calls, [@_] }, data => 'main');
ok $sub->is_active, 'USR1 subscribed in the main thread';
is is_caught($USR1), 1, 'USR1 caught by the process';
is is_blocked($USR1), 0, '... and not blocked in the main thread';

{
    my $stop :shared = 0;
    my $worker_blocked :shared = -1;
    my $thr = threads->create(sub {
        $worker_blocked = is_blocked($USR1);
        nap(0.02) until $stop;
        return 'worker done';
    });
    ok $thr, 'worker thread started';
    my $t0 = now();
    nap(0.01) while $worker_blocked == -1 && now() - $t0 < 10;
    is $worker_blocked, 0, 'a thread started after the subscription does not have USR1 blocked either';

    # kill from the main thread while the worker sleeps
    for my $i (1 .. 5) {
        @calls = ();
        kill 'USR1', $$;
        ok run_until($loop, sub { @calls }), "kill USR1 from the main thread (#$i) reaches the loop callback";
        run_for($loop, 0.05);
        is scalar(@calls), 1, "#$i: exactly one callback";
        if (@calls) {
            is scalar(@{ $calls[0] }), 4, "#$i: callback gets 4 arguments";
            is $calls[0][1], $USR1, "#$i: signo USR1";
            is $calls[0][2], 1, "#$i: count 1";
            is $calls[0][3], 'main', "#$i: data";
        }
    }
    ok $thr->is_running, 'worker thread is still running (it was not hit by the signal)';
    $stop = 1;
    is $thr->join, 'worker done', 'worker thread joined normally';
}

# kill from a worker thread (process-directed), the main thread pumps the loop
{
    @calls = ();
    my $thr = threads->create(sub { kill 'USR1', $$; return 'sent' });
    ok run_until($loop, sub { @calls }), 'kill USR1 from a worker thread reaches the loop callback in the main thread';
    is $thr->join, 'sent', 'sender thread joined';
    run_for($loop, 0.05);
    is scalar(@calls), 1, 'exactly one callback';
    is_deeply [@{ $calls[0] // [] }[1, 2, 3]], [$USR1, 1, 'main'], 'signo, count, data' if @calls;
}

# worker thread sends while the main thread is blocked in run_once
{
    @calls = ();
    my $thr = threads->create(sub { nap(0.3); kill 'USR1', $$; return 'sent late' });
    my $t0 = now();
    $loop->run_once(5) until @calls || now() - $t0 > 10;
    is scalar(@calls), 1, 'a blocked run_once in the main thread is woken by USR1 from a worker thread';
    cmp_ok now() - $t0, '<', 4, 'woken promptly, not by the timeout';
    is $thr->join, 'sent late', 'late sender thread joined';
}

# several sends from a worker thread, each waited for
{
    @calls = ();
    my $thr = threads->create(sub {
        for (1 .. 5) {
            kill 'USR1', $$;
            nap(0.15);
        }
        return 5;
    });
    ok run_until($loop, sub { my $t = 0; $t += $_->[2] for @calls; $t >= 5 }, 15),
        'five USR1 from a worker thread all reach the loop';
    is $thr->join, 5, 'worker joined';
    run_for($loop, 0.1);
    my $t = 0; $t += $_->[2] for @calls;
    cmp_ok $t, '<=', 5, 'never more deliveries than kills';
}

# The kernel hands the signal to a worker thread (the main thread blocks
# USR1 itself, so the worker is the only thread that can take it): the
# handler runs there and the loop in the main thread still gets it.
{
    @calls = ();
    my $done :shared = 0;
    my $worker_blocked :shared = -1;
    POSIX::sigprocmask(POSIX::SIG_BLOCK(), POSIX::SigSet->new($USR1)) or die "sigprocmask: $!";
    my $thr = threads->create(sub {
        POSIX::sigprocmask(POSIX::SIG_UNBLOCK(), POSIX::SigSet->new($USR1)) or die "sigprocmask: $!";
        $worker_blocked = is_blocked($USR1);
        nap(0.02) until $done;
        return 'alive';
    });
    my $t0 = now();
    nap(0.01) while $worker_blocked == -1 && now() - $t0 < 10;
    is $worker_blocked, 0, 'the worker thread has USR1 unblocked, the main thread blocked';
    kill 'USR1', $$;
    ok run_until($loop, sub { @calls }), 'USR1 taken by the worker thread reaches the loop in the main thread';
    run_for($loop, 0.05);
    is scalar(@calls), 1, '... exactly once';
    $done = 1;
    is $thr->join, 'alive', 'the worker thread was not hurt by the signal';
    POSIX::sigprocmask(POSIX::SIG_UNBLOCK(), POSIX::SigSet->new($USR1)) or die "sigprocmask: $!";
}

# after all those threads were created and destroyed, the loop still works
{
    @calls = ();
    kill 'USR1', $$;
    ok run_until($loop, sub { @calls }), 'loop still receives USR1 after threads came and went';
}
$sub->cancel;

# ---------------------------------------------------------------------------
# Two loops subscribing the same signal, same thread: each delivery goes to
# exactly one of them.
# ---------------------------------------------------------------------------
{
    my $l1 = Linux::Event->new;
    my $l2 = Linux::Event->new;
    my (@c1, @c2);
    my $s1 = $l1->signal('USR2', sub { push @c1, $_[2] });
    my $s2 = $l2->signal('USR2', sub { push @c2, $_[2] });
    my $sum = sub { my $t = 0; $t += $_ for @c1, @c2; $t };
    my $N = 10;
    for my $i (1 .. $N) {
        kill 'USR2', $$;
        my $deadline = now() + 5;
        # alternate which loop is polled first
        my @order = $i % 2 ? ($l1, $l2) : ($l2, $l1);
        until ($sum->() >= $i || now() > $deadline) {
            $_->run_once(0.02) for @order;
        }
        $_->run_once(0.02) for @order;    # a second loop must not get it too
        is $sum->(), $i, "two loops, kill #$i: delivered to exactly one loop";
    }
    is $sum->(), $N, "sum of counts across both loops == $N kills";
    ok !(grep { $_ != 1 } @c1, @c2), 'no callback with a count other than 1 (no empty deliveries)'
        or diag explain [\@c1, \@c2];
    note "loop1 got " . scalar(@c1) . ", loop2 got " . scalar(@c2);
    $s1->cancel;
    $s2->cancel;
}

# ---------------------------------------------------------------------------
# Two loops subscribing the same signal, one per thread: each delivery goes to
# exactly one of them.
# ---------------------------------------------------------------------------
{
    my $main_loop = Linux::Event->new;
    my @mc;
    my $ms = $main_loop->signal('HUP', sub { push @mc, $_[2] });

    my $wcount :shared = 0;
    my $wbad   :shared = 0;
    my $ready  :shared = 0;
    my $stop   :shared = 0;
    my $thr = threads->create(sub {
        my $wl = Linux::Event->new;
        $wl->signal('HUP', sub ($l, $signo, $count, $data) {
            lock $wcount;
            $wcount += $count;
            $wbad++ if $signo != $HUP || $count != 1;
        });
        $ready = 1;
        $wl->run_once(0.02) until $stop;
        return 'worker loop done';
    });
    my $t0 = now();
    nap(0.01) until $ready || now() - $t0 > 10;
    ok $ready, 'worker thread has its own loop subscribed to HUP';

    my $sum = sub { my $t = 0; $t += $_ for @mc; lock $wcount; $t + $wcount };
    my $N = 10;
    for my $i (1 .. $N) {
        kill 'HUP', $$;
        my $ok = run_until($main_loop, sub { $sum->() >= $i }, 5);
        ok $ok, "two threads' loops, kill #$i: delivered";
    }
    run_for($main_loop, 0.2);
    $stop = 1;
    is $thr->join, 'worker loop done', 'worker thread with its own loop joined';
    is $sum->(), $N, "sum of counts across both threads' loops == $N kills (each to exactly one loop)";
    ok !(grep { $_ != 1 } @mc), 'main loop: counts are 1';
    is $wbad, 0, 'worker loop: signo HUP and counts 1';
    note "main loop got " . scalar(@mc) . ", worker loop got $wcount";
    $ms->cancel;
}

pass 'the process was never killed by a subscribed signal';
done_testing;
