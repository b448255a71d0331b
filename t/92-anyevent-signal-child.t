#!/usr/bin/env perl
# AnyEvent on Linux::Event: signal and child watchers, alone and several at
# once, with timers and io in the same wait.
use v5.36;
use Test::More;
use POSIX ();
use Time::HiRes qw(time);

BEGIN {
    plan skip_all => 'AnyEvent is not installed' unless eval { require AnyEvent; 1 };
    alarm 60;
}

use Linux::Event;
use AnyEvent;

is AnyEvent::detect(), 'AnyEvent::Impl::LinuxEvent', 'the model in use';

# ---- signals ------------------------------------------------------------------

{
    my ($a, $b) = (0, 0);
    my $cv = AE::cv;
    my $wa = AE::signal USR1 => sub { ++$a };
    my $wb = AnyEvent->signal(signal => 'USR1', cb => sub { ++$b; $cv->send });
    kill USR1 => $$;
    $cv->recv;
    is $a, 1, 'first of two USR1 watchers called once';
    is $b, 1, 'second of two USR1 watchers called once';

    undef $wa;
    $cv = AE::cv;
    kill USR1 => $$;
    $cv->recv;
    is $a, 1, 'a destroyed signal watcher is not called again';
    is $b, 2, '... the other one is';

    undef $wb;
    my $got = 0;
    local $SIG{USR1} = sub { ++$got };
    kill USR1 => $$;
    my $t0 = time;
    select undef, undef, undef, 0.01 until $got || time - $t0 > 5;
    is $got, 1, 'with every USR1 watcher gone, the signal is given back: %SIG sees it';
}

{
    # a signal sent from another process, while recv blocks
    my $cv = AE::cv;
    my $w = AE::signal 'SIGUSR2', sub { $cv->send('usr2') };
    my $pid = fork // die "fork: $!";
    if (!$pid) { select undef, undef, undef, 0.05; kill USR2 => getppid(); POSIX::_exit(0) }
    is $cv->recv, 'usr2', 'a signal from a child process ends a blocking recv';
    waitpid $pid, 0;
}

# ---- child watchers -------------------------------------------------------------

sub spawn ($code, $delay = 0.02) {
    my $pid = fork // die "fork: $!";
    if (!$pid) { select undef, undef, undef, $delay; POSIX::_exit($code) }
    return $pid;
}

{
    my $pid = spawn(7);
    my $cv = AE::cv;
    my $w = AE::child $pid, sub { $cv->send(@_) };
    my ($rpid, $status) = $cv->recv;
    is $rpid, $pid, 'child watcher: the pid';
    ok POSIX::WIFEXITED($status) && POSIX::WEXITSTATUS($status) == 7, 'child watcher: the wait status (exit 7)';
    is waitpid($pid, POSIX::WNOHANG()), -1, 'the child was reaped';
}

{
    # the child exits before the watcher exists (a zombie)
    my $pid = spawn(3, 0);
    select undef, undef, undef, 0.1;
    my $cv = AE::cv;
    my $w = AnyEvent->child(pid => $pid, cb => sub { $cv->send($_[1]) });
    is POSIX::WEXITSTATUS($cv->recv), 3, 'a child that exited before its watcher was created is reported';
}

{
    # a child killed by a signal
    my $pid = spawn(0, 30);
    my $cv = AE::cv;
    my $w = AE::child $pid, sub { $cv->send($_[1]) };
    kill TERM => $pid;
    my $status = $cv->recv;
    ok POSIX::WIFSIGNALED($status) && POSIX::WTERMSIG($status) == POSIX::SIGTERM(), 'a child killed by SIGTERM';
}

{
    # two watchers of one pid, and a watcher of pid 0 (any child)
    my $pid = spawn(5);
    my (@one, @two, @any);
    my $cv = AE::cv;
    $cv->begin for 1 .. 3;
    my $w1 = AE::child $pid, sub { push @one, [@_]; $cv->end };
    my $w2 = AE::child $pid, sub { push @two, [@_]; $cv->end };
    my $w0 = AE::child 0, sub { push @any, [@_]; $cv->end };
    $cv->recv;
    is_deeply [map { $_->[0] } @one, @two, @any], [$pid, $pid, $pid], 'two watchers of a pid and one of pid 0 each see the child once';
    is POSIX::WEXITSTATUS($any[0][1]), 5, '... with its status';

    # pid 0 sees children nobody watches by pid
    my @pids = map { spawn($_) } 11 .. 13;
    @any = ();
    $cv = AE::cv;
    $cv->begin for 1 .. 3;
    $cv->recv;
    is_deeply [sort { $a <=> $b } map { POSIX::WEXITSTATUS($_->[1]) } @any], [11, 12, 13],
        'a pid 0 watcher reports every child';
    is waitpid(-1, POSIX::WNOHANG()), -1, '... and reaps them all';
}

{
    # a destroyed child watcher does not fire; the child is left to the caller
    my $pid = spawn(0);
    my $fired = 0;
    my $w = AE::child $pid, sub { ++$fired };
    undef $w;
    my $cv = AE::cv;
    my $t = AE::timer 0.15, 0, sub { $cv->send };
    $cv->recv;
    is $fired, 0, 'a destroyed child watcher is not called';
    is waitpid($pid, 0), $pid, '... and the child is left for the caller to reap';
}

# ---- several watchers at once --------------------------------------------------------

{
    pipe(my $r, my $w) or die;
    my %seen;
    my $cv = AE::cv;
    $cv->begin for 1 .. 5;
    my @w;
    push @w, AE::timer 0.01, 0, sub { $seen{timer}++; $cv->end };
    push @w, AE::timer 0.005, 0.01, sub { $cv->end if ++$seen{interval} == 3 };
    push @w, AE::signal HUP => sub { $seen{signal}++; $cv->end };
    my $pid = spawn(9);
    push @w, AE::child $pid, sub { $seen{child} = POSIX::WEXITSTATUS($_[1]); $cv->end };
    push @w, AE::io $r, 0, sub { sysread $r, my $b, 10; $seen{io} .= $b; $cv->end };
    kill HUP => $$;
    syswrite $w, 'ok';
    $cv->recv;
    is_deeply \%seen, { timer => 1, interval => 3, signal => 1, child => 9, io => 'ok' },
        'timers, an interval, a signal, a child and io in one wait';
}

done_testing;
