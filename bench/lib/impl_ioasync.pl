#!/usr/bin/perl
# IO::Async through the loop's low-level watch_time / watch_io API.
# The loop class is the best one installed: Epoll, else Poll, else Select
# (reported in the info field).
use strict;
use warnings;
use FindBin ();
use lib $FindBin::Bin;
use BenchHarness;

my $CLASS;

run_impl(
    name    => 'ioasync',
    modules => ['IO::Async::Loop'],
    info    => sub { "$CLASS-" . $CLASS->VERSION
                     . ' IO::Async-' . IO::Async::Loop->VERSION
                     . (eval { require Heap; 1 } ? ' Heap-' . Heap->VERSION : ' no-Heap') },
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
    for my $c (qw(IO::Async::Loop::Epoll IO::Async::Loop::Poll IO::Async::Loop::Select)) {
        (my $file = "$c.pm") =~ s{::}{/}g;
        next unless eval { require $file; 1 };
        $CLASS = $c;
        return $c->new;
    }
    die "no IO::Async loop class could be loaded\n";
}

sub timer_chain {
    my ($n) = @_;
    my $loop = new_loop();
    my ($i, $cb) = (0);
    $cb = sub {
        if (++$i < $n) { $loop->watch_time(after => 0, code => $cb) } else { $loop->stop }
    };
    my $m = meter();
    $loop->watch_time(after => 0, code => $cb);
    $loop->run;
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
    $t[$_] = $loop->watch_time(after => $d->[$_], code => $cb) for 0 .. $n - 1;
    for (my $i = 1; $i < $n; $i += 2) { $loop->unwatch_time($t[$i]) }   # cancel half
    $loop->run;
    return (ops => $n, fired => $fired, $m->());
}

sub pingpong {
    my ($n, $want_fds) = @_;
    my $idle = idle_handles($want_fds);
    my $loop = new_loop();
    my $never = sub { die "an idle fd fired\n" };
    $loop->watch_io(handle => $_, on_read_ready => $never) for @$idle;
    my ($a, $b) = socket_pair();
    my $count = 0;
    $loop->watch_io(handle => $b, on_read_ready => sub {
        sysread($b, my $buf, 1); syswrite($b, $buf, 1);
    });
    $loop->watch_io(handle => $a, on_read_ready => sub {
        sysread($a, my $buf, 1);
        if (++$count < $n) { syswrite($a, $buf, 1) } else { $loop->stop }
    });
    my $m = meter();
    syswrite($a, "x", 1);
    $loop->run;
    return (ops => $count, fds => scalar @$idle, $m->());
}

sub wake {
    my ($kind, $n, $latency) = @_;
    my $A = announcer(kind => $kind, n => $n, latency => $latency);
    my $loop = new_loop();
    my ($r, $ack, $mark) = @$A{qw(r ack mark)};
    my $got = 0;
    $loop->watch_io(handle => $r, on_read_ready => sub {
        $mark->() if $mark;
        sysread($r, my $buf, 64);
        syswrite($ack, "a", 1);
        $loop->stop if ++$got == $n;
    });
    my $m = meter();
    $A->{go}->();
    $loop->run;
    return $A->{finish}->(ops => $got, $m->());
}

# watch_io returns nothing to keep; timers return an id that is kept.
sub memory {
    my ($n, $opt) = @_;
    my $fhs = idle_handles($opt->{fds});
    my $loop = new_loop();
    my $cb = sub { };
    my @t;
    $#t = $n - 1;
    my $r0 = rss_bytes();
    $loop->watch_io(handle => $_, on_read_ready => $cb) for @$fhs;
    my $r1 = rss_bytes();
    $t[$_] = $loop->watch_time(after => 1000, code => $cb) for 0 .. $n - 1;
    my $r2 = rss_bytes();
    return (ops => $n, watchers => scalar @$fhs,
            watcher_bytes => @$fhs ? ($r1 - $r0) / @$fhs : 0,
            timer_bytes   => ($r2 - $r1) / $n);
}
