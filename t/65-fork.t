#!perl
# fork: a child may $waker->signal (that is how it wakes the parent); a child
# that runs or modifies the parent's loop gets a clear croak ("forked child"),
# because the epoll set is shared with the parent; a new loop in the child
# works; the parent is unaffected afterwards, also after the child exits
# normally (destroying its copy of the loop) and when the fork happened
# inside one of the loop's callbacks.
use v5.36;
use Test::More;

BEGIN { alarm 90 }

use POSIX ();
use IO::Handle;
use Linux::Event;
use FindBin;
use lib "$FindBin::Bin/lib";
use LE::Test qw(now have_pidfd new_socketpair run_until in_child report read_report $REPORT status_text);

$SIG{PIPE} = 'IGNORE';
my $FILE = __FILE__;

my $HAVE_PIDFD = have_pidfd();

# ---------------------------------------------------------------------------
# The parent's loop, with something of every kind registered.
# ---------------------------------------------------------------------------
my $loop  = Linux::Event->new;
my $waker = $loop->waker;
my $woken = 0;
$waker->on_wakeup(sub ($l, $n) { $woken += $n });

my ($x, $y) = new_socketpair();
my $reads = 0;
my $watcher = $loop->watch($x, read => sub ($l, $fh, $w) { sysread($fh, my $b, 100); $reads++ },
    write => sub ($l, $fh, $w) { $w->disable_write });
$watcher->disable_write;

my $timer_fired = 0;
my $timer = $loop->after(1.5, sub { $timer_fired++ });

my $usr1 = 0;
my $sigsub = $loop->signal('USR1', sub ($l, $s, $c, $d) { $usr1 += $c });

# A long-lived child of ours, to hold a pid subscription.
my $sleeper = fork // die "fork: $!";
if (!$sleeper) { select undef, undef, undef, 30; POSIX::_exit(0) }
my $sleeper_status;
my $pidsub = $HAVE_PIDFD ? $loop->pid($sleeper, sub ($l, $p, $st, $d) { $sleeper_status = $st }) : undef;

my $no_waker_loop = Linux::Event->new;    # has no waker yet

# ---------------------------------------------------------------------------
# In the child: everything that runs or changes the parent's loop croaks.
# ---------------------------------------------------------------------------
my %calls = (
    'run'                 => sub { $loop->run },
    'run_once'            => sub { $loop->run_once(0) },
    'run_once()'          => sub { $loop->run_once },
    'stop'                => sub { $loop->stop },
    'after'               => sub { $loop->after(0, sub { }) },
    'at'                  => sub { $loop->at(0, sub { }) },
    'cancel'              => sub { $loop->cancel($timer) },
    'watch'               => sub { my ($p, $q) = new_socketpair(); $loop->watch($p, read => sub { }) },
    'watch (same fd)'     => sub { $loop->watch($x, read => sub { }) },
    'unwatch'             => sub { $loop->unwatch($x) },
    'signal'              => sub { $loop->signal('HUP', sub { }) },
    'pid'                 => sub { $loop->pid($sleeper, sub { }, reap => 0) },
    'waker (new)'         => sub { $no_waker_loop->waker },
    'enable_read'         => sub { $watcher->enable_read },
    'disable_read'        => sub { $watcher->disable_read },
    'enable_write'        => sub { $watcher->enable_write },
    'disable_error'       => sub { $watcher->disable_error },
    'on_read'             => sub { $watcher->on_read(sub { }) },
    'on_write(undef)'     => sub { $watcher->on_write(undef) },
    'edge_triggered(1)'   => sub { $watcher->edge_triggered(1) },
    'oneshot(1)'          => sub { $watcher->oneshot(1) },
    'watcher cancel'      => sub { $watcher->cancel },
    'signal sub cancel'   => sub { $sigsub->cancel },
    'pid sub cancel'      => sub { $pidsub->cancel },
    'waker drain'         => sub { $waker->drain },
    'waker on_wakeup'     => sub { $waker->on_wakeup(sub { }) },
    'waker on_wakeup(undef)' => sub { $waker->on_wakeup(undef) },
);
delete $calls{'pid sub cancel'} unless $HAVE_PIDFD;

{
    my ($r, $st) = in_child(sub {
        my @out;
        for my $name (sort keys %calls) {
            my $line = __LINE__ + 1;
            my $ok = eval { $calls{$name}->(); 1 };
            push @out, $name, $ok ? 'NO ERROR' : $@;
        }
        # signal works and wakes the parent
        push @out, 'waker signal', (eval { $waker->signal(7) } ? 'ok' : "failed: $@");
        # Raise no signal at the parent's loop here: USR1 is for later.
        return @out;
    }, exit => 'exit');
    is status_text($st), 'exit 0', 'the child exited normally (its copy of the loop destroyed in it)';
    for my $name (sort keys %calls) {
        like $r->{$name} // 'MISSING', qr/forked child/, "in a child, $name croaks mentioning 'forked child'";
        like $r->{$name} // '', qr/ at \Q$FILE\E line \d+\.(?:\\n)?\z/, "... reported from the caller's line";
    }
    is $r->{'waker signal'}, 'ok', 'in a child, $waker->signal works';
    ok run_until($loop, sub { $woken >= 7 }), 'the parent was woken by the child';
    is $woken, 7, 'on_wakeup saw exactly the 7 the child signalled';
}

# ---------------------------------------------------------------------------
# The parent is unaffected: its watcher, timer, signal and pid subscriptions
# were neither removed nor changed in the shared epoll set by the child.
# ---------------------------------------------------------------------------
sub parent_intact ($name) {
    ok $watcher->is_active && $watcher->read_enabled && !$watcher->write_enabled
        && !$watcher->edge_triggered && !$watcher->oneshot,
        "$name: the watcher is active and unchanged";
    my $before = $reads;
    syswrite($y, 'ping');
    ok run_until($loop, sub { $reads > $before }), "$name: the watcher still fires";
    $loop->run_once(0.05) for 1 .. 2;
    is $reads, $before + 1, "$name: ... once (still level-triggered, not oneshot)";
    ok $sigsub->is_active, "$name: the signal subscription is active";
    my $u = $usr1;
    kill USR1 => $$;
    ok run_until($loop, sub { $usr1 > $u }), "$name: ... and delivers";
    ok !$HAVE_PIDFD || $pidsub->is_active, "$name: the pid subscription is active";
    my $w0 = $woken;
    $waker->signal(2);
    ok run_until($loop, sub { $woken > $w0 }), "$name: the waker wakes the parent";
    is $woken, $w0 + 2, "$name: ... with the right count";
}
parent_intact('after a child tried everything');

# ---------------------------------------------------------------------------
# A new loop in the child works (timer, watcher, waker, signal, pid).
# ---------------------------------------------------------------------------
{
    my ($r, $st) = in_child(sub {
        my @out;
        my $l = Linux::Event->new;
        my $fired = 0;
        $l->after(0.01, sub { $fired++ });
        my ($p, $q) = new_socketpair();
        my $got = '';
        $l->watch($p, read => sub ($lp, $fh, $w) { sysread($fh, my $b, 100); $got .= $b });
        syswrite($q, 'child data');
        my $cw = $l->waker;
        my $cwoken = 0;
        $cw->on_wakeup(sub ($lp, $n) { $cwoken += $n });
        $cw->signal(4);
        my $hup = 0;
        $l->signal('HUP', sub ($lp, $s, $c, $d) { $hup += $c });
        kill HUP => $$;
        my $gk = fork // die;
        if (!$gk) { POSIX::_exit(5) }
        my $gst;
        if ($HAVE_PIDFD) { $l->pid($gk, sub ($lp, $pid, $s, $d) { $gst = $s }) }
        else { waitpid($gk, 0); $gst = $? }
        run_until($l, sub { $fired && length $got && $cwoken && $hup && defined $gst });
        push @out, timer => $fired, read => $got, woken => $cwoken, hup => $hup,
            grandchild => defined $gst ? POSIX::WEXITSTATUS($gst) : 'undef';
        # and the parent's waker still works from here
        push @out, parent_signal => ($waker->signal(3) ? 'ok' : 'no');
        return @out;
    }, exit => 'exit');
    is status_text($st), 'exit 0', 'child with its own loop exited normally';
    is $r->{timer}, 1, 'child loop: timer fired';
    is $r->{read}, 'child data', 'child loop: watcher read';
    is $r->{woken}, 4, 'child loop: its own waker';
    is $r->{hup}, 1, 'child loop: signal subscription';
    is $r->{grandchild}, 5, 'child loop: pid subscription reaped its own child';
    is $r->{parent_signal}, 'ok', 'the parent\'s waker signalled from that child';
    is $r->{'child died'}, undef, 'no exception in the child';
    my $w0 = $woken;
    ok run_until($loop, sub { $woken > $w0 }), 'the parent was woken';
    parent_intact('after a child ran its own loop');
}

# ---------------------------------------------------------------------------
# A child that exits through exit() (destructors and END blocks run) while
# holding the parent's loop, after explicitly dropping it; and one killed by
# a signal.
# ---------------------------------------------------------------------------
{
    my ($r, $st) = in_child(sub {
        undef $loop;
        undef $watcher;
        undef $waker;
        undef $sigsub;
        undef $pidsub;
        return (dropped => 1);
    }, exit => 'exit');
    is status_text($st), 'exit 0', 'a child that dropped the parent\'s objects exited normally';
    is $r->{dropped}, 1, '... after dropping them';
    parent_intact('after a child dropped its copies');

    my $pid = fork // die;
    if (!$pid) { kill KILL => $$; POSIX::_exit(0) }
    waitpid($pid, 0);
    parent_intact('after a child was killed');
}

# ---------------------------------------------------------------------------
# Forked inside a callback: in the child, returning from the callback into
# the parent's run/run_once must not go on running the parent's loop there.
# ---------------------------------------------------------------------------
for my $how (qw(run run_once)) {
    subtest "fork inside a timer callback, the child returns into $how" => sub {
        pipe(my $rd, my $wr) or die "pipe: $!";
        my $in_child = 0;
        my @child_calls;
        my $l = Linux::Event->new;
        my $lw = $l->waker;
        my $lw_total = 0;
        $lw->on_wakeup(sub ($lp, $n) { push @child_calls, "on_wakeup $n" if $in_child; $lw_total += $n });
        # Ready in the same cycle as the forking timer, and later.
        $l->after(0, sub { push @child_calls, 'timer A' if $in_child });
        my $child;
        $l->after(0, sub {
            $child = fork // die "fork: $!";
            if (!$child) { $in_child = 1; alarm 10; close $rd; }
        });
        $l->after(0, sub { push @child_calls, 'timer C (same cycle)' if $in_child });
        $l->after(0.2, sub { push @child_calls, 'timer D (later)' if $in_child; $lw->signal(1) });
        $l->after(0.6, sub ($lp) { push @child_calls, 'stop timer' if $in_child; $lp->stop });
        select undef, undef, undef, 0.01;
        my $ok = $how eq 'run'
            ? eval { $l->run; 1 }
            : eval { my $t0 = now(); $l->run_once(1) while now() - $t0 < 0.8; 1 };
        my $err = $@;
        if ($in_child) {
            $REPORT = $wr;
            report(ok => $ok ? 1 : 0, err => $err, calls => join(', ', @child_calls));
            POSIX::_exit(0);
        }
        close $wr;
        my %r = read_report($rd);
        waitpid($child, 0);
        is status_text($?), 'exit 0', 'the child ended normally';
        is $r{ok}, 0, "in the child, $how croaked instead of going on";
        like $r{err} // '', qr/forked child/, '... with the "forked child" message';
        my @ran = split /, /, $r{calls} // '';
        is_deeply [ grep { !/same cycle/ } @ran ], [],
            'the child did not start another cycle of the parent\'s loop (no wait on the shared epoll set)'
            or diag "ran in the child: $r{calls}";
        is_deeply [ grep { /same cycle/ } @ran ], [],
            'the rest of the forking cycle did not run in the child either'
            or diag "ran in the child: $r{calls}";
        ok $ok, "in the parent, $how went on normally" or diag $err;
        is $lw_total, 1, 'the parent saw exactly its own wakeup (none taken or added by the child)';
    };
}

# Finally: the sleeper's pid subscription still reports its exit.
kill TERM => $sleeper;
waitpid($sleeper, 0), $sleeper_status = $? unless $HAVE_PIDFD;
ok run_until($loop, sub { defined $sleeper_status }, 10), 'the pid subscription reports the sleeper\'s exit';
ok POSIX::WIFSIGNALED($sleeper_status // 0) && POSIX::WTERMSIG($sleeper_status) == POSIX::SIGTERM(),
    '... killed by TERM';
ok run_until($loop, sub { $timer_fired }, 5), 'the parent\'s 1.5 s timer fired';
is $timer_fired, 1, '... once';

done_testing;
