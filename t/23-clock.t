#!perl
# $loop->clock: the methods of Linux::Event::Clock 0.011, its cache (only
# tick reads the kernel clock), its deadline arithmetic in integer
# nanoseconds, and its timebase: the one of $loop->at, so deadlines built
# from it fire when they say, never early.
use v5.36;
BEGIN { alarm 60 }    # watchdog: a hang fails instead of blocking CI
use Test::More;
use Time::HiRes ();
use Linux::Event;
use FindBin;
use lib "$FindBin::Bin/lib";
use LE::Test qw(now run_until);

my @METHODS = qw(tick generation now_ns now_s monotonic_ns deadline_after deadline_after_ms
    deadline_after_us deadline_in_ns expired_ns remaining_ns);

subtest 'one clock per loop' => sub {
    my $loop  = Linux::Event->new;
    my $clock = $loop->clock;
    isa_ok $clock, 'Linux::Event::Loop::Clock', '$loop->clock';
    can_ok $clock, @METHODS;
    ok $loop->clock == $clock, 'later calls return the same object';
    ok Linux::Event->new->clock != $clock, 'another loop has another clock';
    is(Linux::Event->new->clock->generation, 1, 'a new clock has been ticked once');
};

subtest '$loop->clock ticks the clock; a clock kept in a variable keeps its time' => sub {
    my $loop  = Linux::Event->new;
    my $kept  = $loop->clock;
    my $t     = $kept->now_ns;
    my $gen   = $kept->generation;
    Time::HiRes::sleep(0.03);
    is $kept->now_ns, $t, 'a kept clock does not move by itself (30 ms later)';
    $loop->run_once(0);
    is $kept->now_ns, $t, '... nor when the loop runs a cycle';
    my $before = now();
    my $now_s  = $loop->clock->now_s;
    cmp_ok $now_s, '>=', $before - 1e-6, '$loop->clock->now_s is the time of the call';
    cmp_ok $now_s - $t / 1e9, '>=', 0.029, '... 30 ms after the kept time';
    is $kept->generation, $gen + 1, 'one tick per $loop->clock';
    cmp_ok abs($kept->now_ns - $now_s * 1e9), '<', 1e3, 'the kept clock is the same object, so it moved too';
};

subtest 'tick reads CLOCK_MONOTONIC; the other methods read the cache' => sub {
    my $clock  = Linux::Event->new->clock;
    my $before = now();
    my $ns     = $clock->tick;
    my $after  = now();
    like $ns, qr/\A[1-9][0-9]*\z/, 'tick returns integer nanoseconds';
    # Time::HiRes gives floating seconds: allow a microsecond of rounding.
    cmp_ok $ns / 1e9, '>=', $before - 1e-6, 'tick is not before CLOCK_MONOTONIC read just before it';
    cmp_ok $ns / 1e9, '<=', $after + 1e-6, '... nor after CLOCK_MONOTONIC read just after it';
    is $clock->now_ns, $ns, 'now_ns is the time of the last tick';
    is $clock->now_s, $ns / 1e9, 'now_s is the same time in seconds';
    my $gen = $clock->generation;

    Time::HiRes::sleep(0.03);
    is $clock->now_ns, $ns, 'without a tick, now_ns does not move (30 ms later)';
    is $clock->generation, $gen, '... nor does generation';
    my $live = $clock->monotonic_ns;
    cmp_ok $live - $ns, '>=', 29_000_000, 'monotonic_ns reads the clock now (30 ms later)';
    is $clock->now_ns, $ns, '... and leaves the cache alone';

    my $ns2 = $clock->tick;
    cmp_ok $ns2, '>=', $live, 'the next tick is not before the monotonic_ns read before it';
    is $clock->now_ns, $ns2, 'tick refreshes now_ns';
    is $clock->generation, $gen + 1, 'tick adds one to generation';
};

subtest 'deadline arithmetic in integer nanoseconds, from the cached time' => sub {
    my $clock = Linux::Event->new->clock;
    my $now   = $clock->tick;
    is $clock->deadline_after(1.5),       $now + 1_500_000_000, 'deadline_after(1.5 s)';
    is $clock->deadline_after_ms(250),    $now + 250_000_000,   'deadline_after_ms(250)';
    is $clock->deadline_after_us(100),    $now + 100_000,       'deadline_after_us(100)';
    is $clock->deadline_in_ns(1234),      $now + 1234,          'deadline_in_ns(1234)';
    is $clock->deadline_after_us(2.5),    $now + 2500,          'fractions are allowed';
    is $clock->deadline_in_ns(10.75),     $now + 10,            'fractions of a nanosecond are dropped';
    is $clock->deadline_after(-1),        $now - 1_000_000_000, 'a negative delay gives a past deadline';
    is $clock->deadline_after('0.25'),    $now + 250_000_000,   'a numeric string is a number';

    is $clock->expired_ns($now - 1), 1, 'expired_ns: a deadline before now has expired';
    is $clock->expired_ns($now),     1, 'expired_ns: a deadline equal to now has expired';
    is $clock->expired_ns($now + 1), 0, 'expired_ns: a later deadline has not';
    is $clock->remaining_ns($now + 500), 500, 'remaining_ns: nanoseconds to go';
    is $clock->remaining_ns($now - 500), 0,   'remaining_ns: 0 once passed';

    my $deadline = $clock->deadline_after_ms(20);
    is $clock->expired_ns($deadline), 0, 'a 20 ms deadline has not expired at once';
    Time::HiRes::sleep(0.03);
    is $clock->expired_ns($deadline), 0, '... nor 30 ms later without a tick (the cache decides)';
    $clock->tick;
    is $clock->expired_ns($deadline), 1, '... but has after a tick';
};

subtest 'the timebase of at: deadlines from the clock fire on time, never early' => sub {
    my $loop  = Linux::Event->new;
    my $clock = $loop->clock;
    $clock->tick;
    my $at_s = $clock->now_s + 0.08;    # 0.007's own at() example
    my $ns   = $clock->deadline_after_ms(150);
    my %fired;
    $loop->at($at_s,     sub ($l) { $fired{at_s}  = now() });
    $loop->at($ns / 1e9, sub ($l) { $fired{at_ns} = now() });
    ok run_until($loop, sub { keys %fired == 2 }), 'both timers fired';
    cmp_ok $fired{at_s}, '>=', $at_s, 'at(now_s + 0.08) did not fire before its deadline';
    cmp_ok $fired{at_s}, '<', $at_s + 1, '... and fired within a second of it';
    cmp_ok $fired{at_ns}, '>=', $ns / 1e9, 'at(deadline_after_ms(150) / 1e9) did not fire early';
    cmp_ok $fired{at_ns}, '<', $ns / 1e9 + 1, '... and fired within a second of it';
    cmp_ok $fired{at_s}, '<', $fired{at_ns}, 'the earlier deadline fired first';
};

subtest 'a clock of its own' => sub {
    my $mine = Linux::Event::Loop::Clock->new(clock => 'monotonic');
    isa_ok $mine, 'Linux::Event::Loop::Clock', 'Linux::Event::Loop::Clock->new';
    is $mine->generation, 1, 'new ticks once';
    my $loop_clock = Linux::Event->new->clock;
    my $before     = $loop_clock->now_ns;
    $mine->tick for 1 .. 3;
    is $mine->generation, 4, 'its ticks count';
    is $loop_clock->now_ns, $before, "... and leave the loop's clock alone";
};

subtest 'in a forked child' => sub {
    my $clock  = Linux::Event->new->clock;
    my $parent = $clock->tick;
    my $pid    = fork // die "fork: $!";
    if (!$pid) {
        my $ok = eval { $clock->tick > $parent && $clock->deadline_after(1) > $parent };
        POSIX::_exit($ok ? 0 : 1);
    }
    waitpid $pid, 0;
    is $?, 0, "the child's copy of the clock ticks forward";
};

done_testing;
