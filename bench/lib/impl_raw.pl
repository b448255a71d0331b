#!/usr/bin/perl
# The "raw" floor: the callbacks every loop runs (BenchHarness builds them),
# called in order with no event loop at all. What a loop costs is its time
# minus this.
use strict;
use warnings;
use FindBin ();
use lib $FindBin::Bin;
use BenchHarness;

run_impl(
    name => 'raw',
    info => sub { 'no loop' },
    workloads => workload_table(
        chain    => \&timer_chain,
        many     => \&timer_many,
        pingpong => \&pingpong,
        wake     => \&wake,
    ),
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
    my ($cb, $fired) = timer_many_callback($n, sub { });
    my $m = meter();
    $cb->() for @order;
    return (ops => $n, fired => $$fired, $m->());
}

# The same sysread/syswrite calls as with a loop, B's callback then A's.
sub pingpong {
    my ($n, $want_fds) = @_;
    my $idle = idle_handles($want_fds);       # opened, nobody watches them
    my ($a, $b) = socket_pair();
    my $done = 0;
    my ($count, $on_a, $on_b) = pingpong_callbacks($a, $b, $n, sub { $done = 1 });
    my $m = meter();
    syswrite($a, "x", 1);
    until ($done) { $on_b->(); $on_a->() }
    return (ops => $$count, fds => scalar @$idle, $m->());
}

# A blocking read of the self-pipe instead of a loop, then the callback.
sub wake {
    my ($kind, $n, $latency) = @_;
    my $A = announcer(kind => $kind, n => $n, latency => $latency);
    my $r = $A->{r};
    my ($cb, $got) = wake_callback($A, $n, sub { });
    my $m = meter();
    $A->{go}->();
    while ($$got < $n) {
        sysread($r, my $buf, 64);             # the wait: a blocking read
        $cb->();
    }
    return $A->{finish}->(ops => $$got, $m->());
}
