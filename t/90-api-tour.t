#!perl
# A tour of 0.007's documented API, written the way a program that uses it
# reads: timers with after and with at (deadlines from $loop->clock, as in
# 0.007's own example), a watcher with every accessor and toggle, signals
# and child processes through the loop's methods and through 0.007's
# adaptor classes, and the waker.  Each step checks what the program would
# see.
use v5.36;
BEGIN { alarm 60 }    # watchdog: a hang fails instead of blocking CI
use Test::More;
use IO::Handle;
use Socket qw(AF_UNIX SOCK_STREAM PF_UNSPEC);
use POSIX qw(WIFEXITED WEXITSTATUS);
use Linux::Event;
use FindBin;
use lib "$FindBin::Bin/lib";
use LE::Test qw(have_pidfd);

my $loop = Linux::Event->new(backend => 'epoll');
isa_ok $loop, 'Linux::Event::Loop', 'Linux::Event->new(backend => "epoll")';

# Pumps the loop until $done says so, or 5 s pass (which fails the step).
sub pump_until ($done) {
    my $clock   = $loop->clock;
    my $give_up = $clock->tick + 5e9;
    until ($done->() || $clock->expired_ns($give_up)) {
        $loop->run_once(0.05);
        $clock->tick;
    }
    return $done->();
}

# ---- timers ------------------------------------------------------------------------------------
{
    my @fired;
    $loop->clock->tick;
    my $start    = $loop->clock->now_s;
    my $deadline = $loop->clock->now_s + 0.08;
    $loop->at($deadline, sub ($loop) { push @fired, 'at' });
    $loop->after(0.04, sub ($loop) { push @fired, 'after' });
    my $dropped = $loop->after(0.06, sub ($loop) { push @fired, 'cancelled' });
    my $idle_timer;    # a timer that was never armed, cancelled at teardown

    is $loop->cancel($dropped), 1, 'cancel of a pending timer: 1';
    is $loop->cancel($dropped), 0, 'cancel again: 0';
    is $loop->cancel($idle_timer), 0, 'cancel of a timer that was never armed (undef): 0';
    is $loop->cancel(999_999), 0, 'cancel of an id never issued: 0';

    $loop->after(0.12, sub ($loop) { $loop->stop });
    $loop->run;
    is_deeply \@fired, [qw(after at)], 'after(0.04) then at(now_s + 0.08); the cancelled one never';
    $loop->clock->tick;
    cmp_ok $loop->clock->now_s - $start, '>=', 0.12, 'run returned when the 0.12 s timer stopped it';

    my $done = $loop->after(0, sub ($loop) { push @fired, 'zero' });
    is $loop->run_once(1), 1, 'run_once pumps by hand: after(0) fires in the next cycle (1 callback)';
    is $loop->cancel($done), 0, 'cancel of a timer that fired: 0';
    is $loop->run_once(0), 0, 'run_once(0) with nothing to do: 0';
}

# ---- an I/O watcher: every accessor and toggle -------------------------------------------------
{
    socketpair(my $mine, my $theirs, AF_UNIX, SOCK_STREAM, PF_UNSPEC) or die "socketpair: $!";
    $_->blocking(0), $_->autoflush(1) for $mine, $theirs;
    my %seen;
    my $on_read = sub ($loop, $fh, $watcher) {
        $seen{read}++;
        sysread($fh, my $buf, 4096);
        $watcher->data->{got} .= $buf // '';
    };
    my $w = $loop->watch($mine, read => $on_read, data => { name => 'peer' });

    isa_ok $w, 'Linux::Event::Watcher', 'watch';
    ok $w->loop == $loop, 'loop: the loop';
    ok $w->fh == $mine, 'fh: the handle';
    is $w->fd, fileno($mine), 'fd: its descriptor';
    is $w->data->{name}, 'peer', 'data: what watch was given';
    is_deeply [ $w->read_enabled, $w->write_enabled, $w->error_enabled ], [ 1, 0, 0 ],
        'read is enabled (its handler was given), write and error are not';
    is_deeply [ $w->edge_triggered, $w->oneshot, $w->is_active ], [ 0, 0, 1 ], 'level-triggered, not oneshot, active';

    syswrite $theirs, 'one';
    ok pump_until(sub { $seen{read} }), 'the read handler ran';
    is $w->data->{got}, 'one', '... and read what the peer wrote';

    ok $w->disable_read == $w, 'disable_read returns the watcher';
    is $w->read_enabled, 0, 'read_enabled: 0';
    syswrite $theirs, 'two';
    $loop->run_once(0.05);
    is $seen{read}, 1, 'nothing is dispatched while read is disabled';
    $w->enable_read;
    ok pump_until(sub { $seen{read} == 2 }), 'enable_read: the pending data is read';

    my $data = $w->data({ name => 'renamed', got => '' });
    is $data->{name}, 'renamed', 'data($new) sets and returns the new value';

    ok $w->on_write(sub ($loop, $fh, $watcher) { $seen{write}++; $watcher->disable_write }) == $w,
        'on_write installs a handler and returns the watcher';
    is $w->write_enabled, 0, '... without enabling write';
    $w->enable_write;
    is $w->write_enabled, 1, 'enable_write';
    ok pump_until(sub { $seen{write} }), 'the write handler ran (the socket is writable)';
    is $w->write_enabled, 0, '... and disabled write from inside itself';

    $w->on_error(sub ($loop, $fh, $watcher) { $seen{error}++ });
    is $w->error_enabled, 0, 'on_error installs without enabling';
    is $w->enable_error->error_enabled, 1, 'enable_error (chained)';
    is $w->disable_error->error_enabled, 0, 'disable_error (chained)';

    is $w->oneshot(1), 1, 'oneshot(1) sets and returns 1';
    is $w->oneshot, 1, 'oneshot: 1';
    syswrite $theirs, 'three';
    ok pump_until(sub { $seen{read} == 3 }), 'a oneshot watcher delivers once';
    syswrite $theirs, 'four';
    $loop->run_once(0.05);
    is $seen{read}, 3, '... and then the kernel holds it';
    $w->disable_read->enable_read;
    ok pump_until(sub { $seen{read} == 4 }), 'toggling read re-arms it';
    ok $w->is_active, 'a oneshot watcher stays active';
    is $w->oneshot(0), 0, 'oneshot(0)';
    is $w->edge_triggered(1), 1, 'edge_triggered(1)';
    is $w->edge_triggered(0), 0, 'edge_triggered(0)';

    $w->on_read(undef);
    is $w->read_enabled, 0, 'on_read(undef) removes the handler and disables read';

    my $w2 = $loop->watch($mine, read => $on_read);
    is $w->is_active, 0, 'watching the same handle again replaces the old watcher';
    is $w->cancel, 0, "the replaced watcher's cancel: 0";
    is $loop->unwatch($mine), 1, 'unwatch: 1';
    is $loop->unwatch($mine), 0, 'unwatch again: 0';
    is $w2->is_active, 0, 'the unwatched watcher is inactive';
    my $w3 = $loop->watch($mine, read => $on_read);
    is $w3->cancel, 1, 'cancel: 1';
    is $w3->cancel, 0, 'cancel again: 0';
    ok defined fileno($mine), 'the loop never closed the handle';
}

# ---- signals: the loop's method and 0.007's adaptor ---------------------------------------------
{
    my @got;
    my $sub = $loop->signal('USR1', sub ($loop, $signo, $count, $data) { push @got, [ $signo, $count, $data ] },
        data => 'via the loop');
    isa_ok $sub, 'Linux::Event::Signal::Subscription', '$loop->signal';
    kill USR1 => $$;
    ok pump_until(sub { @got }), 'SIGUSR1 arrived through the loop';
    is_deeply $got[0], [ POSIX::SIGUSR1(), 1, 'via the loop' ], '($loop, $signo, $count, $data)';

    my $signals = Linux::Event::Signal->new(loop => $loop);
    isa_ok $signals, 'Linux::Event::Signal', 'Linux::Event::Signal->new(loop => $loop)';
    ok $signals->loop == $loop, 'its loop';
    @got = ();
    my $both = $signals->signal([qw(USR2 SIGHUP)], sub ($loop, $signo, $count, $data) { push @got, [ $signo, $data ] },
        data => 'via the adaptor');
    isa_ok $both, 'Linux::Event::Signal::Subscription', '$signals->signal';
    kill USR2 => $$;
    kill HUP  => $$;
    ok pump_until(sub { @got == 2 }), 'both signals arrived';
    is_deeply [ sort { $a <=> $b } map { $_->[0] } @got ], [ POSIX::SIGHUP(), POSIX::SIGUSR2() ],
        'one callback each, for HUP and USR2';
    is $got[0][1], 'via the adaptor', 'with the data given to the adaptor';

    my $again = $signals->signal(' usr1 ', sub { });
    is $sub->is_active, 0, 'a later subscription for USR1 (through the adaptor) replaces the first';
    is $sub->cancel, 0, "... whose cancel is 0 and leaves the replacement";
    is $again->is_active, 1, 'the replacement is active';
    is $_->cancel, 1, 'cancel: 1' for $again, $both;
    is $both->is_active, 0, 'inactive after cancel';
}

# ---- child processes: the loop's method and 0.007's adaptor ------------------------------------
SKIP: {
    skip 'pidfd_open(2) is not available (Linux 5.4 or later)', 13 unless have_pidfd();

    my $kid = fork // die "fork: $!";
    if (!$kid) { POSIX::_exit(3) }
    my @got;
    my $sub = $loop->pid($kid, sub ($loop, $pid, $status, $data) { push @got, [ $pid, $status, $data ] },
        data => 'first');
    isa_ok $sub, 'Linux::Event::Pid::Subscription', '$loop->pid';
    ok pump_until(sub { @got }), 'the child exit was reported';
    is $got[0][0], $kid, 'with its pid';
    ok WIFEXITED($got[0][1]) && WEXITSTATUS($got[0][1]) == 3, 'and its raw wait status (exit 3)';
    is $got[0][2], 'first', 'and the data';
    is $sub->is_active, 0, 'the subscription cancelled itself';
    is waitpid($kid, POSIX::WNOHANG()), -1, 'the loop reaped the child';

    my $pids = Linux::Event::Pid->new(loop => $loop);
    isa_ok $pids, 'Linux::Event::Pid', 'Linux::Event::Pid->new(loop => $loop)';
    ok $pids->loop == $loop, 'its loop';
    my $quiet = fork // die "fork: $!";
    if (!$quiet) { POSIX::_exit(0) }
    @got = ();
    my $notify = $pids->pid($quiet, sub ($loop, $pid, $status, $data) { push @got, [ $pid, $status ] }, reap => 0);
    isa_ok $notify, 'Linux::Event::Pid::Subscription', '$pids->pid';
    ok pump_until(sub { @got }), 'reap => 0: the exit was reported';
    is $got[0][1], undef, '... with an undef status';
    is waitpid($quiet, 0), $quiet, '... and the child left for us to reap';
}

# ---- the waker -------------------------------------------------------------------------------
{
    my $waker = $loop->waker;
    isa_ok $waker, 'Linux::Event::Wakeup', '$loop->waker';
    ok $loop->waker == $waker, 'one waker per loop';
    ok $waker->loop == $loop, 'its loop';
    ok defined fileno($waker->fh), 'fh: a handle on the eventfd';

    $waker->signal;
    $waker->signal(2);
    is $waker->drain, 3, 'drain: the sum of the signals since the last drain';
    is $waker->drain, 0, 'drain again: 0';

    my @woken;
    $waker->on_wakeup(sub ($loop, $count) { push @woken, $count; $loop->stop });
    my $kid = fork // die "fork: $!";
    if (!$kid) { $waker->signal; POSIX::_exit(0) }
    my $give_up = $loop->after(5, sub ($loop) { $loop->stop });
    $loop->run;
    $loop->cancel($give_up);
    waitpid $kid, 0;
    is_deeply \@woken, [1], 'a signal from a forked child woke the running loop';
}

done_testing;
