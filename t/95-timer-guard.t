#!/usr/bin/env perl
# The loop's internal timer guard (Linux::Event::Loop::_after_guard, used by
# AnyEvent::Impl::LinuxEvent): `after` whose result cancels the timer when it
# is destroyed, and leaves the loop alone in a forked child or once the loop
# is gone.
use v5.36;
use Test::More;
use POSIX ();

BEGIN { alarm 60 }

use Linux::Event;

my $loop = Linux::Event->new;

{
    my $fired = 0;
    my $g = Linux::Event::Loop::_after_guard($loop, 0.01, sub ($l) { ++$fired; is $l, $loop, 'the callback gets the loop' });
    isa_ok $g, 'Linux::Event::Loop::TimerGuard';
    $loop->run_once(1) until $fired;
    is $fired, 1, 'a guarded timer fires';
    undef $g;
    is $loop->run_once(0.05), 0, 'dropping the guard of a fired timer changes nothing';
}

{
    my $fired = 0;
    my $g = Linux::Event::Loop::_after_guard($loop, 0.01, sub { ++$fired });
    undef $g;
    is $loop->run_once(0.1), 0, 'dropping the guard of a pending timer cancels it';
    is $fired, 0, '... it never fires';
}

{
    # the callback is released when the guard cancels the timer
    my $freed = 0;
    { package Canary; sub DESTROY { ++$freed } }
    my $cb = do { my $canary = bless {}, 'Canary'; sub { $canary } };
    my $g = Linux::Event::Loop::_after_guard($loop, 10, $cb);
    undef $cb;
    is $freed, 0, 'the pending timer holds its callback';
    undef $g;
    is $freed, 1, 'dropping the guard releases the callback (and what it closes over)';
}

{
    # a guard dropped in a forked child leaves the parent's timer alone, silently
    my $fired = 0;
    my $g = Linux::Event::Loop::_after_guard($loop, 0.1, sub { ++$fired });
    pipe(my $r, my $w) or die;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        close $r;
        my @warn;
        local $SIG{__WARN__} = sub { push @warn, @_ };
        undef $g;
        print {$w} scalar(@warn);
        close $w;
        POSIX::_exit(0);
    }
    close $w;
    is scalar(<$r>), '0', 'dropping a guard in a forked child warns nothing';
    waitpid $pid, 0;
    $loop->run_once(1) until $fired;
    is $fired, 1, "... and the parent's timer still fires";
}

{
    # a guard that outlives its loop
    my $l2 = Linux::Event->new;
    my $g = Linux::Event::Loop::_after_guard($l2, 10, sub { });
    undef $l2;
    my @warn;
    local $SIG{__WARN__} = sub { push @warn, @_ };
    undef $g;
    is scalar(@warn), 0, 'dropping a guard after its loop is gone is harmless';
}

{
    # where after croaks, _after_guard returns undef (its caller then makes
    # the croaking call itself, from the right line)
    is Linux::Event::Loop::_after_guard($loop, 'x', sub { }), undef, 'a delay that is not a number: undef';
    is Linux::Event::Loop::_after_guard($loop, 2e9, sub { }), undef, 'a delay too large: undef';
    is Linux::Event::Loop::_after_guard($loop, 1, 'nope'), undef, 'a callback that is not code: undef';
    is Linux::Event::Loop::_after_guard('Linux::Event::Loop', 1, sub { }), undef, 'not a loop: undef';
    my $pid = open(my $from_child, '-|') // die "fork: $!";
    if (!$pid) {
        print defined(Linux::Event::Loop::_after_guard($loop, 1, sub { })) ? 'guard' : 'undef';
        POSIX::_exit(0);
    }
    is scalar(<$from_child>), 'undef', "in a forked child, the parent's loop: undef";
    close $from_child;
    my $fired = 0;
    my $g = Linux::Event::Loop::_after_guard($loop, 0, sub { ++$fired });
    $loop->run_once(1) until $fired;
    is $fired, 1, 'the loop works on after all that';
}

done_testing;
