#!/usr/bin/env perl
# Timers: relative (after), absolute (at), cancel, equal deadlines firing in
# the order scheduled, and a repeating timer made by rescheduling itself.
use v5.36;
use Time::HiRes qw(clock_gettime CLOCK_MONOTONIC);
use FindBin;
use lib "$FindBin::Bin/../lib";
use Linux::Event;

my $loop = Linux::Event->new;
my $t0   = clock_gettime(CLOCK_MONOTONIC);
sub stamp { sprintf '%6.3f s', clock_gettime(CLOCK_MONOTONIC) - $t0 }

# One-shot timers, relative to now.
$loop->after(0.20, sub ($loop) { say stamp(), ": after(0.20) fired" });
$loop->after(0.05, sub ($loop) { say stamp(), ": after(0.05) fired" });

# Equal deadlines fire in the order they were scheduled.  at() takes a
# time on the loop's clock: tick it, then add to now_s.
$loop->clock->tick;
my $deadline = $loop->clock->now_s + 0.10;
$loop->at($deadline, sub ($loop) { say stamp(), ": at(+0.10) fired, first of two" });
$loop->at($deadline, sub ($loop) { say stamp(), ": at(+0.10) fired, second of two" });

# A cancelled timer never fires; cancel says whether it removed one.
my $id = $loop->after(0.15, sub ($loop) { die "a cancelled timer fired" });
say 'cancel($id) removed a pending timer: ', $loop->cancel($id) ? 'yes' : 'no';
say 'cancel($id) again:                   ', $loop->cancel($id) ? 'yes' : 'no';

# A repeating timer: the callback schedules the next tick itself
# (__SUB__ is the running sub; timers are one-shot).
my $ticks = 0;
$loop->after(0.06, sub ($loop) {
    $ticks++;
    say stamp(), ": tick $ticks";
    if ($ticks < 5) { $loop->after(0.06, __SUB__) }
    else            { $loop->after(0, sub ($loop) { $loop->stop }) }
});

$loop->run;
say "timers done after $ticks ticks at ", stamp();
