#!/usr/bin/perl
# Linux::Event (this project). bench/run puts the checkout's blib and lib
# on @INC. With selfpipe=1 the wake workloads use a self-pipe watched like
# any fd (what every other loop has to do) instead of $loop->waker.
use strict;
use warnings;
use FindBin ();
use lib $FindBin::Bin;
use BenchHarness;

run_impl(
    name  => 'ours',
    check => sub {
        return undef if eval { require Linux::Event; 1 };
        my ($why) = split /\n/, $@;
        $why =~ s/ \(you may need.*//;         # not the whole of @INC
        return "Linux::Event: $why (built? perl Makefile.PL && make)";
    },
    info  => sub {
        'Linux::Event-' . Linux::Event->VERSION . ($_[0]{selfpipe} ? ' self-pipe' : ' eventfd')
            . " from=$INC{'Linux/Event.pm'}";
    },
    workloads => {
        'timer-chain'   => \&timer_chain,
        'timer-many'    => \&timer_many,
        'pipe-pingpong' => sub { pingpong($_[0], 0) },
        'idle-fds'      => sub { pingpong($_[0], $_[1]{fds}) },
        'wake-thread'   => sub { wake('thread', $_[0], 0, $_[1]{selfpipe}) },
        'wake-fork'     => sub { wake('fork',   $_[0], 0, $_[1]{selfpipe}) },
        'wake-latency'  => sub { wake('thread', $_[0], 1, $_[1]{selfpipe}) },
        'memory'        => \&memory,
    },
);

sub timer_chain {
    my ($n) = @_;
    my $loop = Linux::Event->new;
    my ($i, $cb) = (0);
    $cb = sub { if (++$i < $n) { $loop->after(0, $cb) } else { $loop->stop } };
    my $m = meter();
    $loop->after(0, $cb);
    $loop->run;
    return (ops => $i, $m->());
}

sub timer_many {
    my ($n) = @_;
    my $loop = Linux::Event->new;
    my $d = timer_delays($n);
    my $half = int(($n + 1) / 2);
    my $fired = 0;
    my $cb = sub { $loop->stop if ++$fired == $half };
    my @t;
    $#t = $n - 1;
    my $m = meter();
    $t[$_] = $loop->after($d->[$_], $cb) for 0 .. $n - 1;
    for (my $i = 1; $i < $n; $i += 2) { $loop->cancel($t[$i]) }   # cancel half
    $loop->run;
    return (ops => $n, fired => $fired, $m->());
}

sub pingpong {
    my ($n, $want_fds) = @_;
    my $idle = idle_handles($want_fds);
    my $loop = Linux::Event->new;
    my $never = sub { die "an idle fd fired\n" };
    my @idle = map { $loop->watch($_, read => $never) } @$idle;
    my ($a, $b) = socket_pair();
    my $count = 0;
    my $wb = $loop->watch($b, read => sub { sysread($b, my $buf, 1); syswrite($b, $buf, 1) });
    my $wa = $loop->watch($a, read => sub {
        sysread($a, my $buf, 1);
        if (++$count < $n) { syswrite($a, $buf, 1) } else { $loop->stop }
    });
    my $m = meter();
    syswrite($a, "x", 1);
    $loop->run;
    return (ops => $count, fds => scalar @idle, $m->());
}

# eventfd: the loop and its waker exist before the announcer starts (the
# thread or child signals through its copy of $waker); the loop drains the
# eventfd itself and calls on_wakeup. selfpipe: exactly what the other loops do.
sub wake {
    my ($kind, $n, $latency, $selfpipe) = @_;
    my $got = 0;
    my ($A, $loop, $done);
    if ($selfpipe) {
        $A = announcer(kind => $kind, n => $n, latency => $latency);
        $loop = Linux::Event->new;
        my ($r, $ack, $mark) = @$A{qw(r ack mark)};
        $loop->watch($r, read => sub {
            $mark->() if $mark;
            sysread($r, my $buf, 64);
            syswrite($ack, "a", 1);
            $loop->stop if ++$got == $n;
        });
    }
    else {
        $loop = Linux::Event->new;
        my $waker = $loop->waker;
        $A = announcer(kind => $kind, n => $n, latency => $latency,
                       signal => sub { $waker->signal });
        my ($ack, $mark) = @$A{qw(ack mark)};
        $waker->on_wakeup(sub {
            $mark->() if $mark;
            syswrite($ack, "a", 1);
            $loop->stop if ++$got == $n;
        });
    }
    my $m = meter();
    $A->{go}->();
    $loop->run;
    return $A->{finish}->(ops => $got, $m->());
}

# The watcher objects and timer ids are kept, as with every other loop.
sub memory {
    my ($n, $opt) = @_;
    my $fhs = idle_handles($opt->{fds});
    my $loop = Linux::Event->new;
    my $cb = sub { };
    my (@w, @t);
    $#w = $#$fhs;
    $#t = $n - 1;
    my $r0 = rss_bytes();
    $w[$_] = $loop->watch($fhs->[$_], read => $cb) for 0 .. $#$fhs;
    my $r1 = rss_bytes();
    $t[$_] = $loop->after(1000, $cb) for 0 .. $n - 1;
    my $r2 = rss_bytes();
    return (ops => $n, watchers => scalar @w,
            watcher_bytes => @w ? ($r1 - $r0) / @w : 0,
            timer_bytes   => ($r2 - $r1) / $n);
}
