use v5.36;
use Test::More;
use POSIX qw(WNOHANG WIFEXITED WEXITSTATUS WIFSIGNALED WTERMSIG);
use Scalar::Util qw(refaddr blessed);

# Watchdog: a hang is a failure, never a pass.
BEGIN { alarm 120 }

use Linux::Event;
use FindBin;
use lib "$FindBin::Bin/lib";
use LE::Test qw(now run_until run_for croaks_here have_pidfd);
plan skip_all => 'pidfd_open(2) is not available here (Linux 5.3; or a sandbox forbids it)'
    unless have_pidfd();

my $FILE = __FILE__;

# A child that waits until released (the parent closes the pipe), then exits
# with $code. Returns ($pid, $release_sub).
sub gated_child ($code) {
    pipe(my $r, my $w) or die "pipe: $!";
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        close $w;
        sysread $r, my $buf, 1;
        POSIX::_exit($code);
    }
    close $r;
    return ($pid, sub { close $w if defined fileno $w });
}

# A child that sleeps until killed.
sub sleeping_child () {
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        sleep 60;
        POSIX::_exit(99);
    }
    return $pid;
}

sub proc_state ($pid) {
    open my $fh, '<', "/proc/$pid/stat" or return '';
    my $stat = <$fh>;
    return $stat =~ /\)\s+(\S)/ ? $1 : '';
}

sub wait_zombie ($pid) {
    my $t0 = now();
    select undef, undef, undef, 0.01 until proc_state($pid) eq 'Z' || now() - $t0 > 10;
    return proc_state($pid) eq 'Z';
}

my $loop = Linux::Event->new;

# ---------------------------------------------------------------------------
# exit 42, default reap => 1: raw wait status, ABI, one-shot, reaped.
# ---------------------------------------------------------------------------
{
    my ($pid, $release) = gated_child(42);
    my $data = { tag => 'x' };
    my @calls;
    my $sub = $loop->pid($pid, sub { push @calls, [@_] }, data => $data);
    ok blessed($sub), 'pid() returns an object';
    can_ok $sub, qw(cancel is_active);
    isa_ok $sub, 'Linux::Event::Pid::Subscription', 'the subscription';
    ok $sub->is_active, 'subscription active before the exit';
    run_for($loop, 0.1);
    is scalar(@calls), 0, 'no callback while the child runs';
    $release->();
    ok run_until($loop, sub { @calls }, 10), 'exit of the child is reported';
    run_for($loop, 0.2);
    is scalar(@calls), 1, 'callback called exactly once';
    my $c = $calls[0] // [];
    is scalar(@$c), 4, 'callback gets exactly 4 arguments';
    is refaddr($c->[0]), refaddr($loop), 'arg 0 is the loop';
    is $c->[1], $pid, 'arg 1 is the pid';
    ok defined $c->[2], 'arg 2 (status) is defined with reap => 1';
    ok WIFEXITED($c->[2] // -1), 'WIFEXITED(status)';
    is WEXITSTATUS($c->[2] // -1), 42, 'WEXITSTATUS(status) == 42';
    ok !WIFSIGNALED($c->[2] // -1), '!WIFSIGNALED(status)';
    is refaddr($c->[3]), refaddr($data), 'arg 3 is the data, same reference';
    ok !$sub->is_active, 'one-shot: inactive after its callback';
    ok !$sub->cancel, 'cancel after the one-shot fired: false';
    is waitpid($pid, WNOHANG), -1, 'the child was reaped by the loop (waitpid gives -1)';
}

# explicit reap => 1, exit 0, no data: 4 args, data undef
{
    my ($pid, $release) = gated_child(0);
    my @calls;
    my $sub = $loop->pid($pid, sub { push @calls, [@_] }, reap => 1);
    $release->();
    ok run_until($loop, sub { @calls }, 10), 'reap => 1: exit 0 reported';
    my $c = $calls[0] // [];
    is scalar(@$c), 4, 'no data: still 4 arguments';
    ok !defined $c->[3], 'no data: arg 3 undef';
    is $c->[2], 0, 'exit 0: raw status is 0';
    ok WIFEXITED($c->[2] // -1) && WEXITSTATUS($c->[2] // -1) == 0, 'WIFEXITED, WEXITSTATUS 0';
    is waitpid($pid, WNOHANG), -1, 'reaped';
}

# a range of exit codes
for my $code (1, 7, 255) {
    my ($pid, $release) = gated_child($code);
    my $status;
    $loop->pid($pid, sub { $status = $_[2] });
    $release->();
    ok run_until($loop, sub { defined $status }, 10), "exit $code reported";
    is WEXITSTATUS($status // -1), $code, "WEXITSTATUS == $code";
}

# ---------------------------------------------------------------------------
# Killed by a signal: WIFSIGNALED, WTERMSIG.
# ---------------------------------------------------------------------------
for my $sig (qw(KILL TERM)) {
    my $signo = $sig eq 'KILL' ? POSIX::SIGKILL() : POSIX::SIGTERM();
    my $pid = sleeping_child();
    my @calls;
    my $sub = $loop->pid($pid, sub { push @calls, [@_] }, data => $sig);
    run_for($loop, 0.05);
    kill $sig, $pid;
    ok run_until($loop, sub { @calls }, 10), "child killed by SIG$sig reported";
    my $st = $calls[0][2] // -1;
    ok WIFSIGNALED($st), "SIG$sig: WIFSIGNALED";
    ok !WIFEXITED($st), "SIG$sig: !WIFEXITED";
    is WTERMSIG($st), $signo, "SIG$sig: WTERMSIG == $signo";
    is $calls[0][1], $pid, "SIG$sig: pid" if @calls;
    is $calls[0][3], $sig, "SIG$sig: data" if @calls;
    is waitpid($pid, WNOHANG), -1, "SIG$sig: child reaped by the loop";
    ok !$sub->is_active, "SIG$sig: one-shot";
}

# ---------------------------------------------------------------------------
# reap => 0: undef status, the child is left for the caller.
# ---------------------------------------------------------------------------
{
    my ($pid, $release) = gated_child(7);
    my @calls;
    my $sub = $loop->pid($pid, sub { push @calls, [@_] }, reap => 0, data => 'noreap');
    $release->();
    ok run_until($loop, sub { @calls }, 10), 'reap => 0: exit reported';
    run_for($loop, 0.2);
    is scalar(@calls), 1, 'reap => 0: callback exactly once';
    my $c = $calls[0] // [];
    is scalar(@$c), 4, 'reap => 0: 4 arguments';
    is refaddr($c->[0]), refaddr($loop), 'reap => 0: arg 0 loop';
    is $c->[1], $pid, 'reap => 0: arg 1 pid';
    ok @$c == 4 && !defined $c->[2], 'reap => 0: status is undef';
    is $c->[3], 'noreap', 'reap => 0: data';
    ok !$sub->is_active, 'reap => 0: one-shot';
    is waitpid($pid, WNOHANG), $pid, 'reap => 0: the child is still there for the caller to reap (exited)';
    ok WIFEXITED($?) && WEXITSTATUS($?) == 7, 'reap => 0: caller sees exit status 7';
}
{
    # reap => 0 with a signal death
    my $pid = sleeping_child();
    my $got;
    $loop->pid($pid, sub { $got = [@_] }, reap => 0);
    kill 'KILL', $pid;
    ok run_until($loop, sub { $got }, 10), 'reap => 0: SIGKILL death reported';
    ok $got && !defined $got->[2], 'reap => 0: status undef';
    is waitpid($pid, WNOHANG), $pid, 'reap => 0: caller reaps the killed child';
    ok WIFSIGNALED($?) && WTERMSIG($?) == POSIX::SIGKILL(), 'caller sees WTERMSIG == SIGKILL';
}

# ---------------------------------------------------------------------------
# One subscription per pid: a later pid() replaces the earlier one.
# ---------------------------------------------------------------------------
{
    my ($pid, $release) = gated_child(3);
    my (@a, @b);
    my $sa = $loop->pid($pid, sub { push @a, [@_] }, data => 'first');
    my $sb = $loop->pid($pid, sub { push @b, [@_] }, data => 'second');
    ok !$sa->is_active, 'replaced pid subscription is inactive';
    ok $sb->is_active, 'replacement is active';
    $sa->cancel;    # must not remove the replacement
    ok $sb->is_active, "replaced subscription's cancel leaves the replacement active";
    ok !$sa->cancel, "replaced subscription's cancel is false when repeated";
    $release->();
    ok run_until($loop, sub { @b }, 10), 'the replacement is called';
    run_for($loop, 0.2);
    is scalar(@a), 0, 'the earlier subscription never fires';
    is scalar(@b), 1, 'the replacement fires exactly once';
    is $b[0][3], 'second', 'the replacement gets its own data' if @b;
    is WEXITSTATUS($b[0][2] // -1), 3, 'replacement gets the status' if @b;
    is waitpid($pid, WNOHANG), -1, 'reaped';
}
{
    # replacement changes reap => 1 to reap => 0
    my ($pid, $release) = gated_child(4);
    my (@a, @b);
    $loop->pid($pid, sub { push @a, [@_] });
    $loop->pid($pid, sub { push @b, [@_] }, reap => 0);
    $release->();
    ok run_until($loop, sub { @b }, 10), 'replacement with reap => 0 called';
    run_for($loop, 0.1);
    is scalar(@a), 0, 'earlier (reap => 1) never fires';
    ok @b && !defined $b[0][2], 'replacement (reap => 0): undef status';
    is waitpid($pid, WNOHANG), $pid, 'the replacement settings apply: child not reaped by the loop';
}

# ---------------------------------------------------------------------------
# Cancel before the exit: no callback; cancel true once, false after.
# ---------------------------------------------------------------------------
{
    my ($pid, $release) = gated_child(9);
    my @calls;
    my $sub = $loop->pid($pid, sub { push @calls, [@_] });
    ok $sub->cancel, 'cancel before exit: true';
    ok !$sub->is_active, 'inactive after cancel';
    ok !$sub->cancel, 'cancel again: false';
    ok !$sub->cancel, 'cancel a third time: false';
    $release->();
    ok wait_zombie($pid), 'child has exited (zombie)';
    run_for($loop, 0.5);
    is scalar(@calls), 0, 'cancelled subscription: no callback';
    is waitpid($pid, WNOHANG), $pid, 'cancelled subscription: the loop did not reap the child';
    is WEXITSTATUS($?), 9, 'caller reaps it with its status';
}

# ---------------------------------------------------------------------------
# A child that already exited (zombie) before subscribing is reported.
# ---------------------------------------------------------------------------
{
    my $pid = fork // die "fork: $!";
    POSIX::_exit(5) unless $pid;
    ok wait_zombie($pid), 'child is a zombie before the subscription';
    my @calls;
    my $sub = $loop->pid($pid, sub { push @calls, [@_] }, data => 'z');
    ok run_until($loop, sub { @calls }, 10), 'zombie child is reported';
    run_for($loop, 0.1);
    is scalar(@calls), 1, 'zombie: exactly once';
    is $calls[0][1], $pid, 'zombie: pid' if @calls;
    ok WIFEXITED($calls[0][2] // -1) && WEXITSTATUS($calls[0][2] // -1) == 5, 'zombie: exit status 5';
    is waitpid($pid, WNOHANG), -1, 'zombie reaped by the loop';
}
{
    my $pid = fork // die "fork: $!";
    POSIX::_exit(6) unless $pid;
    ok wait_zombie($pid), 'child is a zombie before the reap => 0 subscription';
    my @calls;
    $loop->pid($pid, sub { push @calls, [@_] }, reap => 0);
    ok run_until($loop, sub { @calls }, 10), 'zombie child is reported with reap => 0';
    ok @calls && !defined $calls[0][2], 'zombie, reap => 0: undef status';
    is waitpid($pid, WNOHANG), $pid, 'zombie, reap => 0: caller reaps it';
    is WEXITSTATUS($?), 6, 'zombie, reap => 0: status 6';
}

# ---------------------------------------------------------------------------
# Several children in one loop; run() with stop() from a pid callback.
# ---------------------------------------------------------------------------
{
    my @kids = map { [gated_child(10 + $_)] } 1 .. 3;
    my %got;
    for my $k (@kids) {
        my $pid = $k->[0];
        $loop->pid($pid, sub ($l, $p, $st, $d) {
            $got{$p} = WEXITSTATUS($st);
            $l->stop if keys %got == 3;
        }, data => $pid);
    }
    $_->[1]->() for @kids;
    my $guard = $loop->after(15, sub ($l) { $l->stop });
    $loop->run;
    $loop->cancel($guard);
    is_deeply \%got, { map { ($kids[$_][0] => 11 + $_) } 0 .. 2 },
        'run(): three children reported with their own status, stop() from the callback';
}

# ---------------------------------------------------------------------------
# A die in a pid callback propagates; the subscription was one-shot anyway.
# ---------------------------------------------------------------------------
{
    my ($pid, $release) = gated_child(0);
    my $n = 0;
    my $sub = $loop->pid($pid, sub { $n++; die "pid boom\n" });
    $release->();
    my $err;
    for (1 .. 100) {
        eval { $loop->run_once(0.1); 1 } or do { $err = $@; last };
    }
    is $err, "pid boom\n", 'die in a pid callback propagates out of run_once';
    run_for($loop, 0.2);
    is $n, 1, 'callback not called again';
    ok !$sub->is_active, 'subscription inactive after its (dying) callback';
    is waitpid($pid, WNOHANG), -1, 'child reaped';
}

# ---------------------------------------------------------------------------
# Bad pids croak, from the caller's line.
# ---------------------------------------------------------------------------
for my $case (
    [0,       'pid 0'],
    [-1,      'pid -1'],
    [-$$,     'negative pid (process group)'],
    [1.5,     'pid 1.5'],
    ['abc',   "pid 'abc'"],
    ['12abc', "pid '12abc'"],
    ['',      'empty string pid'],
    [undef,   'undef pid'],
    [[],      'array ref pid'],
) {
    my ($arg, $name) = @$case;
    my $ok = eval { $loop->pid($arg, sub { }); 1 }; my $line = __LINE__;
    ok !$ok, "$name croaks";
    like $@, qr/ at \Q$FILE\E line $line\.?\n?\z/, "$name: reported at the caller's line";
}
{
    my ($pid, $release) = gated_child(0);
    for my $case (
        [undef,       'undef callback'],
        ['main::foo', 'string callback'],
        [{},          'hash ref callback'],
    ) {
        my ($cb, $name) = @$case;
        my $ok = eval { $loop->pid($pid, $cb); 1 }; my $line = __LINE__;
        ok !$ok, "$name croaks";
        like $@, qr/ at \Q$FILE\E line $line\.?\n?\z/, "$name: reported at the caller's line";
    }
    {
        my $ok = eval { $loop->pid($pid); 1 }; my $line = __LINE__;
        ok !$ok, 'missing callback croaks';
        like $@, qr/ at \Q$FILE\E line $line\.?\n?\z/, "missing callback: reported at the caller's line";
    }
    {
        my $ok = eval { $loop->pid($pid, sub { }, bogus => 1); 1 }; my $line = __LINE__;
        ok !$ok, 'unknown option croaks (never silently ignored)';
        croaks_here $@, qr/bogus/, $line, 'pid(..., bogus => 1)';
    }
    $release->();
    is waitpid($pid, 0), $pid, 'the child used for argument croaks is reaped by the test (nothing subscribed it)';
}

# A pid that does not exist.
{
    my $pid = fork // die "fork: $!";
    POSIX::_exit(0) unless $pid;
    is waitpid($pid, 0), $pid, 'child reaped: its pid no longer exists';
    ok !kill(0, $pid), 'kill 0 confirms the pid does not exist';
    my $ok = eval { $loop->pid($pid, sub { }); 1 }; my $line = __LINE__;
    ok !$ok, 'pid of a process that does not exist croaks';
    croaks_here $@, qr/no such process/i, $line, 'pid(nonexistent)';
    $ok = eval { $loop->pid($pid, sub { }, reap => 0); 1 }; $line = __LINE__;
    ok !$ok, 'pid of a process that does not exist croaks with reap => 0 too';
    croaks_here $@, qr/no such process/i, $line, 'pid(nonexistent, reap => 0)';
}

# A pid that is not our child, with reap => 1: croaks at subscription.
for my $case ([getppid(), 'parent process'], [1, 'pid 1']) {
    my ($target, $name) = @$case;
    {
        my $ok = eval { $loop->pid($target, sub { }); 1 }; my $line = __LINE__;
        ok !$ok, "$name ($target), default reap => 1: croaks";
        croaks_here $@, qr/not a child/i, $line, "pid($name)";
    }
    {
        my $ok = eval { $loop->pid($target, sub { }, reap => 1); 1 }; my $line = __LINE__;
        ok !$ok, "$name ($target), reap => 1: croaks";
        croaks_here $@, qr/not a child/i, $line, "pid($name, reap => 1)";
    }
    {
        my $sub = eval { $loop->pid($target, sub { }, reap => 0) };
        ok $sub, "$name ($target), reap => 0: allowed (notify only)" or diag $@;
        ok $sub && $sub->is_active, "$name, reap => 0: active";
        ok $sub && $sub->cancel, "$name, reap => 0: cancel true";
    }
}

# A process that is not our child (a grandchild, reparented when its parent
# exits): reap => 1 croaks, reap => 0 notifies with undef status.
{
    pipe(my $gr, my $gw) or die "pipe: $!";    # grandchild gate
    pipe(my $pr, my $pw) or die "pipe: $!";    # pid report
    my $kid = fork // die "fork: $!";
    if (!$kid) {
        close $pr;
        my $g = fork // POSIX::_exit(1);
        if (!$g) {
            close $gw;
            close $pw;
            sysread $gr, my $buf, 1;
            POSIX::_exit(0);
        }
        syswrite $pw, "$g\n";
        POSIX::_exit(0);
    }
    close $pw;
    close $gr;
    my $line_in = <$pr>;
    chomp(my $g = $line_in // '');
    is waitpid($kid, 0), $kid, 'intermediate child exited';
    like $g, qr/\A\d+\z/, 'got the grandchild pid';
    ok kill(0, $g), 'grandchild is alive';
    my $ok = eval { $loop->pid($g, sub { }); 1 }; my $line = __LINE__;
    ok !$ok, 'grandchild (not our child) with reap => 1 croaks';
    croaks_here $@, qr/not a child/i, $line, 'pid(grandchild)';
    my @calls;
    my $sub = eval { $loop->pid($g, sub { push @calls, [@_] }, reap => 0, data => 'g') };
    ok $sub, 'grandchild with reap => 0: subscribed' or diag $@;
    close $gw;    # release the grandchild
    ok run_until($loop, sub { @calls }, 10), 'reap => 0: exit of a process that is not our child is reported';
    is scalar(@{ $calls[0] // [] }), 4, 'reap => 0 (not our child): 4 arguments';
    ok @calls && !defined $calls[0][2], 'reap => 0 (not our child): undef status';
    is $calls[0][1], $g, 'reap => 0 (not our child): pid' if @calls;
}

done_testing;
