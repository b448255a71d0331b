use v5.36;
use Config;
BEGIN {
    unless ($Config{useithreads}) {
        print "1..0 # SKIP this perl is built without ithreads\n";
        exit 0;
    }
}
use threads;
use Thread::Queue;
use Test::More;

# Watchdog: a wait that is never woken is a failure, never a pass.
BEGIN { alarm 120 }

use Scalar::Util qw(refaddr);
use Fcntl qw(F_GETFD);

use Linux::Event;
use FindBin;
use lib "$FindBin::Bin/lib";
use LE::Test qw(now);

sub fd_is_eventfd ($fd) {
    my $link = readlink "/proc/self/fd/$fd";
    return defined $link && $link =~ /eventfd/;
}

# ---------------------------------------------------------------------------
# A run_once() with no timeout, nothing else to do, blocked in the kernel,
# returns promptly when another ithread signals the waker.
# ---------------------------------------------------------------------------
{
    my $loop = Linux::Event->new;
    my $w    = $loop->waker;
    my @seen;
    $w->on_wakeup(sub { push @seen, [@_] });

    my $thr = threads->create(sub {
        select undef, undef, undef, 0.4;
        return $w->signal ? 'ok' : 'false';
    });

    my $t0 = now();
    $loop->run_once();
    my $el = now() - $t0;
    cmp_ok $el, '>=', 0.2, "run_once() really blocked until the thread signalled ($el s)";
    cmp_ok $el, '<', 2, 'run_once() returned promptly after the ithread signalled';
    is scalar @seen, 1, 'on_wakeup called once';
    is scalar @{ $seen[0] // [] }, 2, 'on_wakeup got exactly ($loop, $count)';
    is refaddr($seen[0][0]), refaddr($loop), 'first argument is the loop';
    is $seen[0][1], 1, 'count 1';
    is $thr->join, 'ok', 'signal in the thread returned true';
    is $w->drain, 0, 'nothing left to drain';
}

# ---------------------------------------------------------------------------
# Four ithreads x 10 000 signals: exactly 40 000 seen.
# ---------------------------------------------------------------------------
{
    my $loop = Linux::Event->new;
    my $w    = $loop->waker;
    my $total = 0;
    my $calls = 0;
    my $bad   = 0;
    $w->on_wakeup(sub ($l, $n) { $calls++; $bad++ unless $n > 0; $total += $n });

    my $N = 10_000;
    my @thr = map {
        threads->create(sub {
            my $ok = 0;
            for (1 .. $N) { $ok++ if $w->signal }
            return $ok;
        });
    } 1 .. 4;

    my $deadline = now() + 60;
    while (grep { $_->is_running } @thr) {
        $loop->run_once(0.2);
        last if now() > $deadline;
    }
    my @ok = map { $_->join } @thr;
    is_deeply \@ok, [($N) x 4], 'every signal in every thread returned true';
    $loop->run_once(0);
    my $rest = $w->drain;
    cmp_ok $calls, '>', 0, "the loop delivered wakeups while the threads ran ($calls calls)";
    is $bad, 0, 'on_wakeup never called with a zero count';
    is $total + $rest, 4 * $N, 'on_wakeup counts plus the final drain add up to exactly 40 000';
    is $w->drain, 0, 'nothing more';
}

# ---------------------------------------------------------------------------
# A loop and waker cloned into a thread: the thread ending (joined) does not
# free, close or touch the parent's state. In the clone, signal and drain
# work; everything that needs the parent's Perl values croaks.
# ---------------------------------------------------------------------------
{
    my $loop = Linux::Event->new;
    my $w    = $loop->waker;
    my $fd   = fileno($w->fh);
    my $seen = 0;
    $w->on_wakeup(sub { $seen += $_[1] });

    my $thr = threads->create({ context => 'list' }, sub {
        my @out;
        my $r;
        $r = eval { $w->signal(7); 1 } ? 'ok' : "$@";
        push @out, 'signal', $r;
        $r = eval { my $d = $w->drain; $d == 7 ? 1 : die "drain gave $d\n" } ? 'ok' : "$@";
        push @out, 'drain', $r;
        $r = eval { $w->signal(3); 1 } ? 'ok' : "$@";
        push @out, 'signal again', $r;

        for my $case (
            [ run_once  => sub { $loop->run_once(0) } ],
            [ after     => sub { $loop->after(1, sub { }) } ],
            [ watch     => sub { $loop->watch(\*STDIN, read => sub { }) } ],
            [ on_wakeup => sub { $w->on_wakeup(sub { }) } ],
            [ fh        => sub { $w->fh } ],
            [ run       => sub { $loop->run } ],    # last: would block if it did not croak
        ) {
            my ($name, $code) = @$case;
            push @out, $name, (eval { $code->(); 1 } ? 'NO ERROR' : "$@");
        }
        return @out;
    });
    my @out = $thr->join;
    my %r = @out;
    is $r{signal},         'ok', 'signal works in a cloned waker';
    is $r{drain},          'ok', 'drain works in a cloned waker (and sees the same counter)';
    is $r{'signal again'}, 'ok', 'signal works again in the clone';
    for my $m (qw(run run_once after watch on_wakeup fh)) {
        like $r{$m} // 'MISSING', qr/another thread/, "in a clone, $m croaks mentioning 'another thread'";
    }

    ok defined(fcntl($w->fh, F_GETFD, 0)), 'after the thread was joined, the parent fh is still open';
    ok fd_is_eventfd($fd), '... and its fd still is the eventfd';
    is fileno($w->fh), $fd, '... with the same fileno';

    my $t0 = now();
    $loop->run_once(1);
    cmp_ok now() - $t0, '<', 0.9, 'the parent loop is woken by the signal the thread left';
    is $seen, 3, 'the parent saw the 3 signalled by the thread after its own drain';

    ok eval { $w->signal(2); 1 }, 'parent can still signal';
    is $w->drain, 2, 'parent can still drain';

    $w->signal(6);
    $loop->run_once(1);
    is $seen, 9, 'the parent loop still dispatches on_wakeup after the thread ended';
}

# ---------------------------------------------------------------------------
# Same with a detached thread that has finished.
# ---------------------------------------------------------------------------
{
    my $loop = Linux::Event->new;
    my $w    = $loop->waker;
    my $fd   = fileno($w->fh);
    my $q    = Thread::Queue->new;

    threads->create(sub {
        my $ok = eval { $w->signal(11); 1 } ? 'ok' : "$@";
        $q->enqueue($ok);
        return;
    })->detach;

    my $msg = $q->dequeue_timed(30);
    is $msg, 'ok', 'the detached thread could signal';
    # Give the detached thread time to finish and destroy its interpreter.
    select undef, undef, undef, 1.0;

    ok defined(fcntl($w->fh, F_GETFD, 0)), 'after a detached thread finished, the parent fh is still open';
    ok fd_is_eventfd($fd), '... and its fd still is the eventfd';
    is $w->drain, 11, 'the parent drains what the detached thread signalled';
    $w->signal(4);
    my $seen = 0;
    $w->on_wakeup(sub { $seen += $_[1] });
    $loop->run_once(1);
    is $seen, 4, 'the parent loop still works after the detached thread finished';
}

# A thread that explicitly drops its clones, then keeps running: the parent
# is unaffected while the thread is still alive.
{
    my $loop = Linux::Event->new;
    my $w    = $loop->waker;
    my $fd   = fileno($w->fh);
    my $q    = Thread::Queue->new;
    my $go   = Thread::Queue->new;

    my $thr = threads->create(sub {
        my $w2 = $w;
        $w2->signal(1);
        undef $w;
        undef $w2;
        undef $loop;
        $q->enqueue('dropped');
        $go->dequeue_timed(30);
        return 'done';
    });
    is $q->dequeue_timed(30), 'dropped', 'the thread dropped its clones';
    ok fd_is_eventfd($fd), 'parent fd still open while the thread lives on';
    is $w->drain, 1, 'parent drains the signal from the thread';
    $go->enqueue('go');
    is $thr->join, 'done', 'thread finished';
    ok fd_is_eventfd($fd), 'parent fd still open after join';
    $w->signal;
    is $w->drain, 1, 'parent still signals and drains';
}

# ---------------------------------------------------------------------------
# stop() from a worker thread makes the parent's blocked run() return.
# ---------------------------------------------------------------------------
{
    my $loop = Linux::Event->new;
    my $w    = $loop->waker;
    my $backstop = 0;
    $loop->after(10, sub ($l) { $backstop = 1; $l->stop });

    my $thr = threads->create(sub {
        select undef, undef, undef, 0.4;
        return eval { $loop->stop; 1 } ? 'ok' : "$@";
    });

    my $t0 = now();
    $loop->run;
    my $el = now() - $t0;
    is $thr->join, 'ok', 'stop() in a clone does not croak';
    ok !$backstop, 'run() was not ended by the 10 s backstop timer';
    cmp_ok $el, '>=', 0.2, "run() blocked until the thread called stop ($el s)";
    cmp_ok $el, '<', 2, 'stop() from a worker thread made the blocked run() return promptly';

    # The loop still works afterwards.
    my $fired = 0;
    $loop->after(0.05, sub ($l) { $fired++; $l->stop });
    $t0 = now();
    $loop->run;
    is $fired, 1, 'the loop runs again after a cross-thread stop';
    cmp_ok now() - $t0, '<', 2, '... and returns promptly';
}

# ---------------------------------------------------------------------------
# A loop created inside a thread is that thread's own, and works there.
# ---------------------------------------------------------------------------
{
    my $thr = threads->create({ context => 'list' }, sub {
        my @out;
        my $l = Linux::Event->new;
        my $fired = 0;
        $l->after(0.05, sub ($lp) { $fired++; $lp->stop });
        $l->run;
        push @out, 'timer', $fired;
        my $w = $l->waker;
        my $seen = 0;
        $w->on_wakeup(sub { $seen += $_[1] });
        $w->signal(3);
        $l->run_once(1);
        push @out, 'wakeup', $seen;
        return @out;
    });
    my %r = $thr->join;
    is $r{timer},  1, 'a loop created in a thread fires its timer';
    is $r{wakeup}, 3, 'a loop created in a thread is woken by its own waker';
}

done_testing;
