#!/usr/bin/perl
# The "raw" floor: the same callbacks every loop runs, called in order with
# no event loop at all. What a loop costs is its time minus this.
use strict;
use warnings;
use FindBin ();
use lib $FindBin::Bin;
use BenchHarness;

run_impl(
    name => 'raw',
    info => sub { 'no loop' },
    workloads => {
        'timer-chain'   => \&timer_chain,
        'timer-many'    => \&timer_many,
        'pipe-pingpong' => sub { pingpong($_[0], 0) },
        'idle-fds'      => sub { pingpong($_[0], $_[1]{fds}) },
        'wake-thread'   => sub { wake('thread', $_[0], 0) },
        'wake-fork'     => sub { wake('fork',   $_[0], 0) },
        'wake-latency'  => sub { wake('thread', $_[0], 1) },
    },
);

# Each callback "schedules" the next one; the driver calls it.
sub timer_chain {
    my ($n) = @_;
    my ($i, $next, $cb) = (0);
    $cb = sub { if (++$i < $n) { $next = $cb } };
    my $m = meter();
    $next = $cb;
    while (my $c = $next) { $next = undef; $c->() }
    return (ops => $i, $m->());
}

# The callbacks of the timers that were not cancelled, in deadline order.
sub timer_many {
    my ($n) = @_;
    my $d = timer_delays($n);
    my @order = sort { $d->[$a] <=> $d->[$b] } grep { $_ % 2 == 0 } 0 .. $n - 1;
    my $fired = 0;
    my $cb = sub { ++$fired };
    my $m = meter();
    $cb->() for @order;
    return (ops => $n, fired => $fired, $m->());
}

# A writes one byte; B's callback echoes it; A's callback reads it and
# writes again: the same sysread/syswrite calls as with a loop.
sub pingpong {
    my ($n, $want_fds) = @_;
    my $idle = idle_handles($want_fds);       # opened, nobody watches them
    my ($a, $b) = socket_pair();
    my ($count, $done) = (0, 0);
    my $on_b = sub { sysread($b, my $buf, 1); syswrite($b, $buf, 1) };
    my $on_a = sub {
        sysread($a, my $buf, 1);
        if (++$count < $n) { syswrite($a, $buf, 1) } else { $done = 1 }
    };
    my $m = meter();
    syswrite($a, "x", 1);
    until ($done) { $on_b->(); $on_a->() }
    return (ops => $count, fds => scalar @$idle, $m->());
}

# A blocking read of the self-pipe instead of a loop, then the callback.
sub wake {
    my ($kind, $n, $latency) = @_;
    my $A = announcer(kind => $kind, n => $n, latency => $latency);
    my ($r, $ack, $mark) = @$A{qw(r ack mark)};
    my $got = 0;
    my $cb = sub {
        $mark->() if $mark;
        syswrite($ack, "a", 1);
        ++$got;
    };
    my $m = meter();
    $A->{go}->();
    while ($got < $n) {
        sysread($r, my $buf, 64);             # the wait: a blocking read
        $cb->();
    }
    return $A->{finish}->(ops => $got, $m->());
}
