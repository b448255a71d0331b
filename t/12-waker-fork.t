use v5.36;
use Test::More;

# Watchdog: a wait that is never woken is a failure, never a pass.
BEGIN { alarm 90 }

use POSIX ();

use Linux::Event;
use FindBin;
use lib "$FindBin::Bin/lib";
use LE::Test qw(now in_child);

# ---------------------------------------------------------------------------
# A forked child's signal wakes a parent blocked in run_once() (no timeout).
# ---------------------------------------------------------------------------
{
    my $loop = Linux::Event->new;
    my $w    = $loop->waker;
    my @seen;
    $w->on_wakeup(sub { push @seen, [@_] });

    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        alarm 20;
        select undef, undef, undef, 0.4;
        my $ok = eval { $w->signal; 1 };
        POSIX::_exit($ok ? 0 : 3);
    }
    my $t0 = now();
    $loop->run_once();
    my $el = now() - $t0;
    waitpid($pid, 0);
    is $?, 0, "the child's signal did not croak";
    cmp_ok $el, '>=', 0.2, "run_once() really blocked until the child signalled ($el s)";
    cmp_ok $el, '<', 2, "a forked child's signal woke the blocked run_once() promptly";
    is scalar @seen, 1, 'on_wakeup called once';
    is $seen[0][1], 1, '... with count 1';
    is $w->drain, 0, 'nothing left';
}

# ---------------------------------------------------------------------------
# Counts from a child add up. The child exits normally (its destructors
# run); the parent's loop must be unaffected by that.
# ---------------------------------------------------------------------------
{
    my $loop = Linux::Event->new;
    my $w    = $loop->waker;
    my $total = 0;
    $w->on_wakeup(sub { $total += $_[1] });

    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        alarm 20;
        my $ok = eval {
            $w->signal for 1 .. 1000;
            $w->signal(7);
            $w->signal(25);
            1;
        };
        exit($ok ? 0 : 3);    # normal exit: destructors of the copied loop run
    }
    my $deadline = now() + 30;
    my $done = 0;
    while (now() < $deadline) {
        $loop->run_once(0.2);
        if (waitpid($pid, POSIX::WNOHANG()) == $pid) { $done = 1; last }
    }
    ok $done, 'child finished';
    is $?, 0, "the child's signals did not croak";
    $loop->run_once(0);
    my $rest = $w->drain;
    is $total + $rest, 1032, 'counts from the child add up (1000 + 7 + 25)';

    # The parent's loop still works after the child ran its destructors.
    my @seen;
    $w->on_wakeup(sub { push @seen, $_[1] });
    $w->signal(2);
    my $t0 = now();
    $loop->run_once(1);
    cmp_ok now() - $t0, '<', 0.9, "after the child's normal exit, the parent's loop is still woken";
    is_deeply \@seen, [2], '... and on_wakeup sees the count';

    my $fired = 0;
    $loop->after(0.05, sub ($l) { $fired++; $l->stop });
    $t0 = now();
    $loop->run;
    is $fired, 1, "after the child's normal exit, the parent's timers fire";
    cmp_ok now() - $t0, '<', 2, '... promptly';

    # And a second child can still wake it.
    $pid = fork // die "fork: $!";
    if ($pid == 0) {
        select undef, undef, undef, 0.3;
        $w->signal(9);
        POSIX::_exit(0);
    }
    @seen = ();
    $t0 = now();
    $loop->run_once();
    cmp_ok now() - $t0, '<', 2, 'a second child wakes the blocked parent';
    is_deeply \@seen, [9], '... with its count';
    waitpid($pid, 0);
}

# ---------------------------------------------------------------------------
# In the child, the parent's loop (and waker drain/on_wakeup) croak; signal
# works; a new loop made in the child works.
# ---------------------------------------------------------------------------
{
    my $loop = Linux::Event->new;
    my $w    = $loop->waker;
    my $seen = 0;
    $w->on_wakeup(sub { $seen += $_[1] });
    my $parent_fired = 0;
    $loop->after(0.5, sub { $parent_fired++ });    # pending in the parent, copied into the child

    my ($r, $status) = in_child(sub {
        my @out;
        for my $case (
            [ run_once  => sub { $loop->run_once(0) } ],
            [ after     => sub { $loop->after(1, sub { }) } ],
            [ watch     => sub { $loop->watch(\*STDIN, read => sub { }) } ],
            [ drain     => sub { $w->drain } ],
            [ on_wakeup => sub { $w->on_wakeup(sub { }) } ],
            [ run       => sub { $loop->run } ],    # last: would block if it did not croak
        ) {
            my ($name, $code) = @$case;
            push @out, $name, (eval { $code->(); 1 } ? 'NO ERROR' : "$@");
        }
        push @out, 'signal', (eval { $w->signal(5); 1 } ? 'ok' : "$@");

        # A new loop in the child works.
        my $l2 = Linux::Event->new;
        my $fired = 0;
        $l2->after(0.05, sub ($l) { $fired++; $l->stop });
        $l2->after(5, sub ($l) { $l->stop });
        my $t0 = now();
        $l2->run;
        my $el = now() - $t0;
        push @out, 'child timer', ($fired == 1 && $el < 2 ? 'ok' : "fired=$fired el=$el");

        my $w2 = $l2->waker;
        my $n = 0;
        $w2->on_wakeup(sub { $n += $_[1] });
        $w2->signal(4);
        $l2->run_once(1);
        push @out, 'child waker', ($n == 4 && $w2->drain == 0 ? 'ok' : "n=$n");
        return @out;
    });

    is $status, 0, 'child exited cleanly';
    for my $m (qw(run run_once after watch drain on_wakeup)) {
        like $r->{$m} // 'MISSING', qr/forked child/, "in a forked child, the parent's $m croaks mentioning 'forked child'";
    }
    is $r->{signal}, 'ok', "in a forked child, the parent's waker can signal";
    is $r->{'child timer'}, 'ok', 'a new loop in the child fires its timer';
    is $r->{'child waker'}, 'ok', 'a new loop in the child has a working waker';
    ok !exists $r->{'child died'}, 'child code did not die' or diag $r->{'child died'};

    # The parent: the child's signal is pending, the parent's timer is intact.
    my $t0 = now();
    $loop->run_once(1);
    is $seen, 5, "the parent's loop sees the signal from the child";
    is $w->drain, 0, '... and drained it';
    my $stopper = 0;
    $loop->after(0.7, sub ($l) { $stopper++; $l->stop });
    $loop->run;
    is $parent_fired, 1, "the parent's timer scheduled before the fork fired exactly once (in the parent)";
    is $stopper, 1, 'the parent loop runs normally after the child exited';
    cmp_ok now() - $t0, '<', 3, '... in time';
}

# A child exiting normally (running the destructors of its copy of the loop,
# including a loop it created itself) leaves the parent working.
{
    my $loop = Linux::Event->new;
    my $w    = $loop->waker;
    my ($r, $status) = in_child(sub {
        my $l2 = Linux::Event->new;
        $l2->waker->signal;
        undef $l2;
        undef $w;
        undef $loop;
        return ('dropped', 'ok');
    }, exit => 'exit');
    is $status, 0, 'child dropping its copies exits cleanly';
    is $r->{dropped}, 'ok', 'child ran';
    my $seen = 0;
    $w->on_wakeup(sub { $seen += $_[1] });
    $w->signal(3);
    $loop->run_once(1);
    is $seen, 3, 'parent loop still woken after the child dropped its copies';
}

done_testing;
