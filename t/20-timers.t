#!perl
# Timers: after / at / cancel, the timer callback ABI, ordering, run_once
# timing, what a timer callback may do, and the croaks for bad arguments.
use v5.36;
BEGIN { alarm 120 }    # watchdog: a hang fails instead of blocking CI
use Test::More;
use IO::Handle;
use Time::HiRes qw(clock_gettime CLOCK_MONOTONIC);
use Linux::Event;
use FindBin;
use lib "$FindBin::Bin/lib";
use LE::Test qw(now run_until croaks same_ref);

$SIG{PIPE} = 'IGNORE';

subtest 'construction' => sub {
    my $loop = Linux::Event->new;
    isa_ok($loop, 'Linux::Event::Loop');
};

subtest 'after/at return distinct positive integer ids' => sub {
    my $loop = Linux::Event->new;
    my @ids;
    push @ids, $loop->after(100 + $_, sub ($l) { }) for 1 .. 100;
    push @ids, $loop->at(now() + 100 + $_, sub ($l) { }) for 1 .. 100;
    my @bad = grep { !defined($_) || !/\A[1-9][0-9]*\z/ } @ids;
    is(scalar(@bad), 0, 'every id is a positive integer') or diag explain \@bad;
    my %seen;
    $seen{$_}++ for @ids;
    is(scalar(keys %seen), 200, 'all 200 ids are distinct');
    ok($loop->cancel($_), "cancel $_") for @ids[0, 99, 100, 199];
};

subtest 'timer callback ABI: exactly one argument, the loop' => sub {
    my $loop = Linux::Event->new;
    my (@args, $calls);
    $loop->after(0, sub { $calls++; @args = @_ });
    my $t0 = now();
    my $n  = $loop->run_once(1);
    my $dt = now() - $t0;
    is($calls, 1, 'after(0) fired in one run_once');
    is(scalar(@args), 1, 'exactly one argument');
    same_ref($args[0], $loop, 'the argument is the loop');
    isa_ok($args[0], 'Linux::Event::Loop');
    cmp_ok($dt, '<', 0.5, 'after(0) fires promptly');
    is($n, 1, 'run_once returns the number of callbacks it dispatched');

    $loop->run_once(0.1);
    is($calls, 1, 'a timer is one-shot');

    my @at_args;
    $loop->at(now(), sub { @at_args = @_ });
    run_until($loop, sub { @at_args });
    is(scalar(@at_args), 1, 'at: exactly one argument');
    same_ref($at_args[0], $loop, 'at: the argument is the loop');
};

subtest 'run_once() without timeout waits until the next deadline' => sub {
    my $loop = Linux::Event->new;
    my $fired_at;
    $loop->after(0.3, sub ($l) { $fired_at = now() });
    my $t0 = now();
    my $n  = $loop->run_once();
    my $dt = now() - $t0;
    ok(defined $fired_at, 'the timer fired during the blocking run_once()');
    is($n, 1, 'one callback dispatched');
    cmp_ok($dt, '>=', 0.29, 'run_once() blocked until the deadline');
    cmp_ok($dt, '<',  1.5,  'run_once() returned soon after the deadline');
    cmp_ok($fired_at - $t0, '>=', 0.29, 'after(0.3) did not fire early') if defined $fired_at;
};

subtest 'at(): absolute deadline on CLOCK_MONOTONIC' => sub {
    my $loop = Linux::Event->new;
    my $t0   = now();
    my $deadline = $t0 + 0.25;
    my $fired_at;
    $loop->at($deadline, sub ($l) { $fired_at = now() });
    $loop->run_once();
    ok(defined $fired_at, 'at() timer fired');
    if (defined $fired_at) {
        cmp_ok($fired_at, '>=', $deadline - 0.002, 'not before its deadline');
        cmp_ok($fired_at, '<',  $deadline + 1.0,   'not long after its deadline');
    }

    my $past = 0;
    $t0 = now();
    $loop->at($t0 - 100, sub ($l) { $past++ });
    run_until($loop, sub { $past }, 2);
    is($past, 1, 'a deadline in the past fires on the next cycle');
    cmp_ok(now() - $t0, '<', 0.5, '... promptly');
};

subtest 'deadline order, FIFO on equal deadlines' => sub {
    my $loop = Linux::Event->new;
    my @log;
    my $base = now() + 0.05;
    $loop->at($base + 0.03, sub ($l) { push @log, 'd' });
    $loop->at($base + 0.01, sub ($l) { push @log, 'b' });
    $loop->at($base,        sub ($l) { push @log, 'a' });
    $loop->at($base + 0.02, sub ($l) { push @log, 'c1' });
    $loop->at($base + 0.02, sub ($l) { push @log, 'c2' });
    $loop->at($base + 0.02, sub ($l) { push @log, 'c3' });
    $loop->at($base + 0.2,  sub ($l) { push @log, 'stop'; $l->stop });
    $loop->run;
    is_deeply(\@log, [qw(a b c1 c2 c3 d stop)], 'deadline order; equal deadlines in scheduling order');

    # All already due when the cycle starts: still deadline order, then FIFO.
    @log = ();
    my $t = now();
    $loop->at($t - 1, sub ($l) { push @log, 3 });
    $loop->at($t - 3, sub ($l) { push @log, 1 });
    $loop->at($t - 2, sub ($l) { push @log, 2 });
    $loop->at($t - 1, sub ($l) { push @log, 4 });
    $loop->at($t - 1, sub ($l) { push @log, 5 });
    run_until($loop, sub { @log >= 5 });
    is_deeply(\@log, [1 .. 5], 'due timers fire in deadline order, FIFO among equals');

    # after(0) timers fire in the order scheduled.
    @log = ();
    for my $i (1 .. 20) { $loop->after(0, sub ($l) { push @log, $i }) }
    run_until($loop, sub { @log >= 20 });
    is_deeply(\@log, [1 .. 20], 'after(0) timers fire in the order scheduled');
};

subtest 'negative delay counts as 0' => sub {
    my $loop = Linux::Event->new;
    my @log;
    my $t0 = now();
    $loop->after(0,    sub ($l) { push @log, 'zero' });
    $loop->after(-5,   sub ($l) { push @log, 'minus5' });
    $loop->after(-0.5, sub ($l) { push @log, 'minus0.5' });
    run_until($loop, sub { @log >= 3 });
    is_deeply(\@log, [qw(zero minus5 minus0.5)],
        'negative delays are scheduled as "now" (not in the past): order of scheduling kept');
    cmp_ok(now() - $t0, '<', 0.5, 'negative delays fire promptly');
};

subtest 'after(0) scheduled in a timer callback fires on the next cycle, not the same one' => sub {
    my $loop = Linux::Event->new;
    my @log;
    $loop->at(now() - 1, sub ($l) {
        push @log, 'outer';
        $l->after(0, sub ($l) { push @log, 'inner' });
        $l->at(now() - 10, sub ($l) { push @log, 'inner-past' });
    });
    my $n1 = $loop->run_once(0);
    is_deeply(\@log, ['outer'], 'first run_once(0): only the outer timer fired');
    is($n1, 1, 'first run_once(0) dispatched one callback');
    my $n2 = $loop->run_once(0);
    is_deeply(\@log, [qw(outer inner-past inner)], 'second run_once(0): the inner timers fired, in deadline order');
    is($n2, 2, 'second run_once(0) dispatched two callbacks');
    is($loop->run_once(0), 0, 'third run_once(0): nothing left');

    # A chain of after(0) timers in run() makes progress and terminates.
    my $count = 0;
    my $step;
    $step = sub ($l) {
        if (++$count >= 1000) { $l->stop; return }
        $l->after(0, $step);
    };
    $loop->after(0, $step);
    my $t0 = now();
    $loop->run;
    undef $step;
    is($count, 1000, 'a chain of 1000 after(0) timers ran to completion');
    cmp_ok(now() - $t0, '<', 10, '... in reasonable time');
};

subtest 'cancel' => sub {
    my $loop  = Linux::Event->new;
    my $fired = 0;
    my $id    = $loop->after(0.05, sub ($l) { $fired++ });
    my $r1    = $loop->cancel($id);
    ok($r1, 'cancel of a pending timer is true');
    is($r1, 1, '... and returns 1');
    ok(!$loop->cancel($id), 'second cancel of the same id is false');
    ok(!$loop->cancel($id), 'third cancel of the same id is false');
    $loop->after(0.15, sub ($l) { $l->stop });
    $loop->run;
    is($fired, 0, 'a cancelled timer never fires');

    my $f2  = 0;
    my $id2 = $loop->after(0, sub ($l) { $f2++ });
    run_until($loop, sub { $f2 });
    is($f2, 1, 'timer fired');
    ok(!$loop->cancel($id2), 'cancel of a fired timer is false');

    ok(!$loop->cancel(987654321), 'cancel of an unknown id is false');
    ok(!$loop->cancel($id2 + 1_000_000), 'cancel of a never-issued id is false');

    # cancel of its own id from inside the firing callback: it has fired.
    my $self_cancel;
    my $sid;
    $sid = $loop->after(0, sub ($l) { $self_cancel = $l->cancel($sid) });
    run_until($loop, sub { defined $self_cancel });
    ok(defined($self_cancel) && !$self_cancel, 'cancel of the firing timer from its own callback is false');

    # A timer due in the same cycle can be cancelled by an earlier one.
    my @log;
    my $t = now() - 1;
    my ($idb, $rb);
    $loop->at($t, sub ($l) { push @log, 'a'; $rb = $l->cancel($idb) });
    $idb = $loop->at($t, sub ($l) { push @log, 'b' });
    $loop->at($t, sub ($l) { push @log, 'c' });
    run_until($loop, sub { grep { $_ eq 'c' } @log });
    $loop->run_once(0.05);
    is_deeply(\@log, [qw(a c)], 'a timer cancelled by an earlier timer of the same cycle does not fire');
    ok($rb, '... and that cancel returned true');
    ok(!$loop->cancel($idb), '... and cancelling it again is false');
};

subtest 'run_once(0) never blocks' => sub {
    my $loop = Linux::Event->new;
    my $t0   = now();
    my $n    = $loop->run_once(0);
    cmp_ok(now() - $t0, '<', 0.1, 'run_once(0) on an empty loop returns at once');
    is($n, 0, '... having dispatched nothing');

    $loop->after(5, sub ($l) { fail('a 5 s timer fired during run_once(0)') });
    pipe(my $r, my $w) or die "pipe: $!";
    $loop->watch($r, read => sub ($l, $fh, $wt) { fail('idle pipe fired') });
    $t0 = now();
    $loop->run_once(0) for 1 .. 10;
    cmp_ok(now() - $t0, '<', 0.2, 'ten run_once(0) with a far timer and an idle watcher return at once');
};

subtest 'run_once($timeout)' => sub {
    my $loop = Linux::Event->new;
    my $t0   = now();
    my $n    = $loop->run_once(0.2);
    my $dt   = now() - $t0;
    cmp_ok($dt, '>=', 0.15, 'run_once(0.2) with nothing waited about 0.2 s');
    cmp_ok($dt, '<',  1.5,  '... and not much longer');
    is($n, 0, '... and dispatched nothing');

    my $far = 0;
    $loop->after(0.5, sub ($l) { $far++ });
    $t0 = now();
    $loop->run_once(0.1);
    $dt = now() - $t0;
    cmp_ok($dt, '>=', 0.08, 'run_once(0.1) before a 0.5 s timer waited about 0.1 s');
    cmp_ok($dt, '<',  0.45, '... and returned before the timer deadline');
    is($far, 0, '... without firing the timer');

    my $near = 0;
    my $l2   = Linux::Event->new;
    $l2->after(0.05, sub ($l) { $near++ });
    $t0 = now();
    $l2->run_once(0.5);
    $dt = now() - $t0;
    is($near, 1, 'run_once(0.5) with a 0.05 s timer fired it');
    cmp_ok($dt, '>=', 0.045, '... not before its deadline');
    cmp_ok($dt, '<',  0.45,  '... and returned without waiting for the whole timeout');
};

subtest 'a timer callback may schedule/cancel timers, watch/unwatch fds, stop' => sub {
    my $loop = Linux::Event->new;
    pipe(my $r, my $w) or die "pipe: $!";
    $w->autoflush(1);
    my @log;
    my ($late_id, $cancel_ret, $unwatch_ret, $watcher);
    my $timeout = $loop->after(10, sub ($l) { push @log, 'timeout'; $l->stop });
    $loop->after(0.01, sub ($l) {
        push @log, 'first';
        $late_id = $l->after(0.03, sub ($l) { push @log, 'cancelled-timer-fired' });
        $l->after(0.01, sub ($l) {
            push @log, 'second';
            $cancel_ret = $l->cancel($late_id);
            $watcher = $l->watch($r, read => sub ($l, $fh, $wt) {
                sysread($fh, my $buf, 100);
                push @log, "read:$buf";
                $l->after(0, sub ($l) {
                    push @log, 'third';
                    $unwatch_ret = $l->unwatch($r);
                    syswrite($w, 'y');
                    $l->after(0.1, sub ($l) { push @log, 'stop'; $l->stop });
                });
            });
            syswrite($w, 'x');
        });
    });
    $loop->run;
    ok($loop->cancel($timeout), 'safety timer still pending');
    is_deeply(\@log, [qw(first second read:x third stop)],
        'timers scheduled from timers fired; cancelled one did not; watch from a timer worked; unwatch from a timer worked');
    ok($cancel_ret, 'cancel inside a timer callback returned true');
    ok($unwatch_ret, 'unwatch inside a timer callback returned true');
    isa_ok($watcher, 'Linux::Event::Watcher', 'watch inside a timer callback');
    is($watcher->is_active, 0, 'watcher unwatched from a timer is inactive');

    # stop from a timer: run returns without waiting for later timers.
    my $late = 0;
    $loop->after(0.05, sub ($l) { $l->stop });
    $loop->after(0.4,  sub ($l) { $late++ });
    my $t0 = now();
    $loop->run;
    my $dt = now() - $t0;
    cmp_ok($dt, '<', 0.35, 'run() returned right after stop() in a timer callback');
    is($late, 0, 'the later timer did not fire');

    # ... and the loop runs again afterwards.
    $loop->after(0.5, sub ($l) { $l->stop });
    $loop->run;
    is($late, 1, 'run() again: the later timer fired');
};

subtest 'nested run/run_once from a callback croak "already running"' => sub {
    my $loop = Linux::Event->new;
    my ($e1, $e2, $called);
    $loop->after(0, sub ($l) {
        $called++;
        eval { $l->run_once(0) };
        $e1 = $@;
        eval { $l->run };
        $e2 = $@;
    });
    $loop->run_once(1);
    is($called, 1, 'callback ran');
    like($e1, qr/already running/, 'nested run_once croaks');
    like($e2, qr/already running/, 'nested run croaks');
    my $ok = 0;
    $loop->after(0, sub ($l) { $ok++ });
    $loop->run_once(1);
    is($ok, 1, 'loop still works after the nested attempts');
};

subtest 'croaks for bad arguments' => sub {
    my $loop = Linux::Event->new;
    my $leaked = 0;
    my $cb  = sub ($l) { $leaked++ };
    my $inf = 9**9**9;
    my $nan = -sin($inf);
    my $secs = qr/second|delay|time|number|numeric|finite|usage|argument/i;
    my $code = qr/callback|code|usage|argument/i;

    croaks(sub { $loop->after() }, qr/second|delay|callback|usage|argument|missing/i, 'after()');
    croaks(sub { $loop->after(0) }, $code, 'after without callback');
    croaks(sub { $loop->after(0, undef) }, $code, 'after with undef callback');
    croaks(sub { $loop->after(0, 'main::foo') }, $code, 'after with a string callback');
    croaks(sub { $loop->after(0, {}) }, $code, 'after with a HASH callback');
    croaks(sub { $loop->after(0, []) }, $code, 'after with an ARRAY callback');
    croaks(sub { $loop->after(undef, $cb) }, $secs, 'after with undef seconds');
    croaks(sub { no warnings; $loop->after('soon', $cb) }, $secs, 'after with non-numeric seconds');
    croaks(sub { $loop->after($inf, $cb) }, $secs, 'after with infinite seconds');
    croaks(sub { $loop->after($nan, $cb) }, $secs, 'after with NaN seconds');
    croaks(sub { $loop->after(1e10, $cb) }, $secs, 'after with more than 1e9 seconds');
    croaks(sub { $loop->after(0, $cb, 'extra') }, qr/arg|usage|many/i, 'after with an extra argument');

    croaks(sub { $loop->at() }, qr/deadline|second|time|callback|usage|argument|missing/i, 'at()');
    croaks(sub { $loop->at(now()) }, $code, 'at without callback');
    croaks(sub { $loop->at(now(), 'nope') }, $code, 'at with a string callback');
    croaks(sub { $loop->at(undef, $cb) }, qr/deadline|$secs/, 'at with undef deadline');
    croaks(sub { no warnings; $loop->at('tomorrow', $cb) }, qr/deadline|$secs/, 'at with non-numeric deadline');
    croaks(sub { $loop->at($inf, $cb) }, qr/deadline|$secs/, 'at with infinite deadline');
    croaks(sub { $loop->at($nan, $cb) }, qr/deadline|$secs/, 'at with NaN deadline');
    croaks(sub { $loop->at(now() + 1e10, $cb) }, qr/deadline|$secs/, 'at more than 1e9 s from now');
    croaks(sub { $loop->at(now(), $cb, 'extra') }, qr/arg|usage|many/i, 'at with an extra argument');

    my $tmo = qr/timeout|second|number|numeric|negative|finite|usage|argument/i;
    croaks(sub { $loop->run_once(-1) }, $tmo, 'run_once(-1)');
    croaks(sub { no warnings; $loop->run_once('abc') }, $tmo, 'run_once("abc")');
    croaks(sub { $loop->run_once([]) }, $tmo, 'run_once([])');
    croaks(sub { $loop->run_once($nan) }, $tmo, 'run_once(NaN)');
    croaks(sub { $loop->run_once($inf) }, $tmo, 'run_once(Inf)');

    $loop->run_once(0.05);
    $loop->run_once(0);
    is($leaked, 0, 'no croaking call left a timer behind');

    my $ok = 0;
    $loop->after(0, sub ($l) { $ok++ });
    $loop->run_once(1);
    is($ok, 1, 'loop still works after the croaks');
};

done_testing;
