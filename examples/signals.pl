#!/usr/bin/env perl
# Signals through the loop: subscribe to USR1 and USR2, send them
# to ourselves and from a forked child, and stop after the child's last
# signal.  Ordinary signals coalesce (three USR1 sent at once arrive as
# one, count 1); real-time signals queue, so their count adds up.
use v5.36;
use POSIX ();
use FindBin;
use lib "$FindBin::Bin/../lib";
use Linux::Event;

my $loop = Linux::Event->new;
my %got;

# One subscription for two signals; names may carry the SIG prefix.
my $sub = $loop->signal([qw(USR1 SIGUSR2)], sub ($loop, $signo, $count, $data) {
    my $name = $signo == POSIX::SIGUSR1() ? 'USR1' : 'USR2';
    $got{$name} += $count;
    say "$data: got SIG$name (signal $signo), count $count";
    fork_child() if $name eq 'USR2' && $got{USR2} == 1;    # our own signals are in
    $loop->stop  if $name eq 'USR2' && $got{USR2} == 2;    # the child's have arrived
}, data => 'handler');
say 'subscribed: ', $sub->is_active ? 'active' : 'inactive';

# A real-time signal, by name relative to RTMIN.
my $rt = POSIX::SIGRTMIN() + 1;
$loop->signal('RTMIN+1', sub ($loop, $signo, $count, $data) {
    $got{'RTMIN+1'} += $count;
    say "got SIGRTMIN+1 (signal $signo), count $count";
});

# From ourselves, before the loop runs: the loop's handler counts them and
# they wait for its next cycle; the three USR1 coalesce into one.
kill USR1 => $$ for 1 .. 3;
kill $rt  => $$ for 1 .. 3;
kill USR2 => $$;

# From a forked child, while the loop runs (forked once our own signals
# have been handled, so that nothing coalesces with them).
my $child;
sub fork_child () {
    my $parent = $$;
    $child = fork // die "fork: $!";
    return if $child;
    select(undef, undef, undef, 0.1);
    kill USR1 => $parent;
    select(undef, undef, undef, 0.1);
    kill USR2 => $parent;
    POSIX::_exit(0);
}

$loop->after(10, sub ($loop) { die "signals: timed out\n" });    # watchdog
$loop->run;
waitpid($child, 0);

say 'cancel: ', $sub->cancel ? 'removed' : 'nothing to remove', '; active now: ', $sub->is_active;
say "child $child sent USR1 and USR2";
say "signals done: USR1 x $got{USR1}, USR2 x $got{USR2}, RTMIN+1 x $got{'RTMIN+1'}";
