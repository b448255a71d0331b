#!/usr/bin/perl
# AnyEvent through its fast AE:: API. bench/run sets PERL_ANYEVENT_MODEL
# (Perl: AnyEvent's own pure-Perl loop; EV: on top of EV); the model
# AnyEvent really picked is checked and reported.
use strict;
use warnings;
use FindBin ();
use lib $FindBin::Bin;
use BenchHarness;

my %MODEL_MODULE = (Perl => 'AnyEvent::Impl::Perl', EV => 'AnyEvent::Impl::EV');
my $want = $ENV{PERL_ANYEVENT_MODEL} || 'Perl';

run_impl(
    name    => "anyevent-$want",
    modules => ['AnyEvent', ($want eq 'EV' ? 'EV' : ())],
    info    => sub { 'AnyEvent-' . AnyEvent->VERSION . ' model=' . AnyEvent::detect() },
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

sub load {
    require AnyEvent;
    my $model = AnyEvent::detect();
    my $expect = $MODEL_MODULE{$want} || "AnyEvent::Impl::$want";
    die "AnyEvent picked $model, not $expect\n" unless $model eq $expect;
}

sub timer_chain {
    my ($n) = @_;
    load();
    my $cv = AE::cv();
    my ($i, $w, $cb) = (0);
    $cb = sub { if (++$i < $n) { $w = AE::timer(0, 0, $cb) } else { $cv->send } };
    my $m = meter();
    $w = AE::timer(0, 0, $cb);
    $cv->recv;
    return (ops => $i, $m->());
}

sub timer_many {
    my ($n) = @_;
    load();
    my $d = timer_delays($n);
    my $half = int(($n + 1) / 2);
    my $cv = AE::cv();
    my $fired = 0;
    my $cb = sub { $cv->send if ++$fired == $half };
    my @t;
    $#t = $n - 1;
    my $m = meter();
    $t[$_] = AE::timer($d->[$_], 0, $cb) for 0 .. $n - 1;
    for (my $i = 1; $i < $n; $i += 2) { undef $t[$i] }   # cancel half
    $cv->recv;
    return (ops => $n, fired => $fired, $m->());
}

sub pingpong {
    my ($n, $want_fds) = @_;
    my $idle = idle_handles($want_fds);
    load();
    my $never = sub { die "an idle fd fired\n" };
    my @idle = map { AE::io($_, 0, $never) } @$idle;
    my ($a, $b) = socket_pair();
    my $cv = AE::cv();
    my $count = 0;
    my $wb = AE::io($b, 0, sub { sysread($b, my $buf, 1); syswrite($b, $buf, 1) });
    my $wa = AE::io($a, 0, sub {
        sysread($a, my $buf, 1);
        if (++$count < $n) { syswrite($a, $buf, 1) } else { $cv->send }
    });
    my $m = meter();
    syswrite($a, "x", 1);
    $cv->recv;
    return (ops => $count, fds => scalar @idle, $m->());
}

sub wake {
    my ($kind, $n, $latency) = @_;
    my $A = announcer(kind => $kind, n => $n, latency => $latency);
    load();
    my ($r, $ack, $mark) = @$A{qw(r ack mark)};
    my $cv = AE::cv();
    my $got = 0;
    my $w = AE::io($r, 0, sub {
        $mark->() if $mark;
        sysread($r, my $buf, 64);
        syswrite($ack, "a", 1);
        $cv->send if ++$got == $n;
    });
    my $m = meter();
    $A->{go}->();
    $cv->recv;
    return $A->{finish}->(ops => $got, $m->());
}

sub memory {
    my ($n, $opt) = @_;
    my $fhs = idle_handles($opt->{fds});
    load();
    my $cb = sub { };
    my (@w, @t);
    $#w = $#$fhs;
    $#t = $n - 1;
    my $r0 = rss_bytes();
    $w[$_] = AE::io($fhs->[$_], 0, $cb) for 0 .. $#$fhs;
    my $r1 = rss_bytes();
    $t[$_] = AE::timer(1000, 0, $cb) for 0 .. $n - 1;
    my $r2 = rss_bytes();
    return (ops => $n, watchers => scalar @w,
            watcher_bytes => @w ? ($r1 - $r0) / @w : 0,
            timer_bytes   => ($r2 - $r1) / $n);
}
