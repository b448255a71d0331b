#!/usr/bin/perl
# Mojo::IOLoop: timers through the IOLoop API, I/O through its reactor's io()
# (the level below Mojo's streams). Mojo picks its reactor itself:
# Mojo::Reactor::EV when EV is installed, else Mojo::Reactor::Poll
# (MOJO_REACTOR overrides); the one used is reported in the info field.
use strict;
use warnings;
use FindBin ();
use lib $FindBin::Bin;
use BenchHarness;

run_impl(
    name    => 'mojo',
    modules => ['Mojo::IOLoop'],
    info    => sub { 'Mojolicious-' . Mojolicious->VERSION . ' reactor='
                     . ref(Mojo::IOLoop->singleton->reactor) },
    workloads => {
        'timer-chain'   => \&timer_chain,
        'timer-many'    => \&timer_many,
        'pipe-pingpong' => sub { pingpong($_[0], 0) },
        'idle-fds'      => sub { pingpong($_[0], $_[1]{fds}) },
        'wake-thread'   => sub { wake('thread', $_[0], 0) },
        'wake-fork'     => sub { wake('fork',   $_[0], 0) },
        'wake-latency'  => sub { wake('thread', $_[0], 1) },
        'memory'        => \&memory,
    },
);

sub new_loop {
    require Mojolicious;
    require Mojo::IOLoop;
    return Mojo::IOLoop->singleton;
}

# io() starts watching for reading and writing; keep reading only.
sub watch_read {
    my ($reactor, $fh, $cb) = @_;
    $reactor->io($fh => $cb)->watch($fh, 1, 0);
}

sub timer_chain {
    my ($n) = @_;
    my $loop = new_loop();
    my ($i, $cb) = (0);
    $cb = sub { if (++$i < $n) { $loop->timer(0 => $cb) } else { $loop->stop } };
    my $m = meter();
    $loop->timer(0 => $cb);
    $loop->start;
    return (ops => $i, $m->());
}

sub timer_many {
    my ($n) = @_;
    my $loop = new_loop();
    my $d = timer_delays($n);
    my $half = int(($n + 1) / 2);
    my $fired = 0;
    my $cb = sub { $loop->stop if ++$fired == $half };
    my @t;
    $#t = $n - 1;
    my $m = meter();
    $t[$_] = $loop->timer($d->[$_] => $cb) for 0 .. $n - 1;
    for (my $i = 1; $i < $n; $i += 2) { $loop->remove($t[$i]) }   # cancel half
    $loop->start;
    return (ops => $n, fired => $fired, $m->());
}

sub pingpong {
    my ($n, $want_fds) = @_;
    my $idle = idle_handles($want_fds);
    my $loop = new_loop();
    my $reactor = $loop->reactor;
    my $never = sub { die "an idle fd fired\n" };
    watch_read($reactor, $_, $never) for @$idle;
    my ($a, $b) = socket_pair();
    my $count = 0;
    watch_read($reactor, $b, sub { sysread($b, my $buf, 1); syswrite($b, $buf, 1) });
    watch_read($reactor, $a, sub {
        sysread($a, my $buf, 1);
        if (++$count < $n) { syswrite($a, $buf, 1) } else { $loop->stop }
    });
    my $m = meter();
    syswrite($a, "x", 1);
    $loop->start;
    return (ops => $count, fds => scalar @$idle, $m->());
}

sub wake {
    my ($kind, $n, $latency) = @_;
    my $A = announcer(kind => $kind, n => $n, latency => $latency);
    my $loop = new_loop();
    my ($r, $ack, $mark) = @$A{qw(r ack mark)};
    my $got = 0;
    watch_read($loop->reactor, $r, sub {
        $mark->() if $mark;
        sysread($r, my $buf, 64);
        syswrite($ack, "a", 1);
        $loop->stop if ++$got == $n;
    });
    my $m = meter();
    $A->{go}->();
    $loop->start;
    return $A->{finish}->(ops => $got, $m->());
}

sub memory {
    my ($n, $opt) = @_;
    my $fhs = idle_handles($opt->{fds});
    my $loop = new_loop();
    my $reactor = $loop->reactor;
    my $cb = sub { };
    my @t;
    $#t = $n - 1;
    my $r0 = rss_bytes();
    watch_read($reactor, $_, $cb) for @$fhs;
    my $r1 = rss_bytes();
    $t[$_] = $loop->timer(1000 => $cb) for 0 .. $n - 1;
    my $r2 = rss_bytes();
    return (ops => $n, watchers => scalar @$fhs,
            watcher_bytes => @$fhs ? ($r1 - $r0) / @$fhs : 0,
            timer_bytes   => ($r2 - $r1) / $n);
}
