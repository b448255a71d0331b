#!/usr/bin/perl
# EV (libev): the reference every ratio is taken against.
# EV is loaded at run time, after the wake workloads have started their
# announcer thread, so the thread never holds a clone of EV's state.
use strict;
use warnings;
use FindBin ();
use lib $FindBin::Bin;
use BenchHarness;

run_impl(
    name    => 'ev',
    modules => ['EV'],
    info    => sub { 'EV-' . EV->VERSION . ' backend=' . backend() },
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

sub backend {
    my $b = EV::backend();
    return $b == EV::BACKEND_EPOLL() ? 'epoll'
         : $b == EV::BACKEND_POLL()  ? 'poll'
         : $b == EV::BACKEND_SELECT() ? 'select' : $b;
}

sub timer_chain {
    my ($n) = @_;
    require EV;
    my ($i, $w, $cb) = (0);
    $cb = sub {
        if (++$i < $n) { $w = EV::timer(0, 0, $cb) } else { EV::break(EV::BREAK_ALL()) }
    };
    EV::now_update();
    my $m = meter();
    $w = EV::timer(0, 0, $cb);
    EV::run();
    return (ops => $i, $m->());
}

sub timer_many {
    my ($n) = @_;
    require EV;
    my $d = timer_delays($n);
    my $half = int(($n + 1) / 2);
    my $fired = 0;
    my $cb = sub { EV::break(EV::BREAK_ALL()) if ++$fired == $half };
    my @t;
    $#t = $n - 1;
    EV::now_update();
    my $m = meter();
    $t[$_] = EV::timer($d->[$_], 0, $cb) for 0 .. $n - 1;
    for (my $i = 1; $i < $n; $i += 2) { undef $t[$i] }   # cancel half
    EV::run();
    return (ops => $n, fired => $fired, $m->());
}

sub pingpong {
    my ($n, $want_fds) = @_;
    my $idle = idle_handles($want_fds);
    require EV;
    my $never = sub { die "an idle fd fired\n" };
    my @idle = map { EV::io($_, EV::READ(), $never) } @$idle;
    my ($a, $b) = socket_pair();
    my $count = 0;
    my $wb = EV::io($b, EV::READ(), sub { sysread($b, my $buf, 1); syswrite($b, $buf, 1) });
    my $wa = EV::io($a, EV::READ(), sub {
        sysread($a, my $buf, 1);
        if (++$count < $n) { syswrite($a, $buf, 1) } else { EV::break(EV::BREAK_ALL()) }
    });
    my $m = meter();
    syswrite($a, "x", 1);
    EV::run();
    return (ops => $count, fds => scalar @idle, $m->());
}

sub wake {
    my ($kind, $n, $latency) = @_;
    my $A = announcer(kind => $kind, n => $n, latency => $latency);
    require EV;
    my ($r, $ack, $mark) = @$A{qw(r ack mark)};
    my $got = 0;
    my $w = EV::io($r, EV::READ(), sub {
        $mark->() if $mark;
        sysread($r, my $buf, 64);
        syswrite($ack, "a", 1);
        EV::break(EV::BREAK_ALL()) if ++$got == $n;
    });
    my $m = meter();
    $A->{go}->();
    EV::run();
    return $A->{finish}->(ops => $got, $m->());
}

# RSS per idle read watcher (on fds opened beforehand) and per pending timer;
# the returned watcher objects are kept, as an EV user must.
sub memory {
    my ($n, $opt) = @_;
    my $fhs = idle_handles($opt->{fds});
    require EV;
    my $cb = sub { };
    my (@w, @t);
    $#w = $#$fhs;
    $#t = $n - 1;
    my $r0 = rss_bytes();
    $w[$_] = EV::io($fhs->[$_], EV::READ(), $cb) for 0 .. $#$fhs;
    my $r1 = rss_bytes();
    $t[$_] = EV::timer(1000, 0, $cb) for 0 .. $n - 1;
    my $r2 = rss_bytes();
    return (ops => $n, watchers => scalar @w,
            watcher_bytes => @w ? ($r1 - $r0) / @w : 0,
            timer_bytes   => ($r2 - $r1) / $n);
}
