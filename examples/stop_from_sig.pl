#!/usr/bin/env perl
# Stopping a blocked run from a %SIG handler: the loop has nothing to do
# for ten seconds and blocks in the kernel; a forked child sends SIGINT
# after 0.2 s; Perl's handler runs at once and calls $loop->stop, and run
# returns without waiting for the timer.
use v5.36;
use POSIX ();
use Time::HiRes qw(clock_gettime CLOCK_MONOTONIC);
use FindBin;
use lib "$FindBin::Bin/../lib";
use Linux::Event;

my $loop = Linux::Event->new;

my $caught = 0;
$SIG{INT} = sub ($name) {
    $caught++;
    say "SIG$name handler: stopping the loop";
    $loop->stop;
};

# The only timer is far away (and doubles as a watchdog).
$loop->after(10, sub ($loop) { die "stop_from_sig: the signal did not stop the loop\n" });

my $parent = $$;
my $child  = fork // die "fork: $!";
if (!$child) {
    select(undef, undef, undef, 0.2);
    kill INT => $parent;
    POSIX::_exit(0);
}

my $t0 = clock_gettime(CLOCK_MONOTONIC);
say "run: blocking (child $child will send SIGINT)";
$loop->run;
my $elapsed = clock_gettime(CLOCK_MONOTONIC) - $t0;
waitpid($child, 0);

printf "run returned after %.2f s; SIGINT caught %d time(s)\n", $elapsed, $caught;
exit($caught == 1 && $elapsed < 5 ? 0 : 1);
