#!perl
# Older kernels and sandboxes: epoll_pwait2 (Linux 5.11) and pidfd_open
# (Linux 5.3) answering ENOSYS (an old kernel) or EPERM (a seccomp profile),
# and waitid(P_PIDFD) answering EINVAL (Linux 5.3).  Each case runs in a
# child perl started with LINUX_EVENT_PRETEND_MISSING, the documented testing
# aid that makes the engine see those answers on this kernel.
use v5.36;
use Test::More;

BEGIN { alarm 120 }

use FindBin;
use lib "$FindBin::Bin/lib";
use LE::Test qw(read_report have_pidfd);
use Linux::Event;

my @inc    = map { "-I$_" } grep { !ref } @INC;
my $script = do { local $/; <DATA> };

# Runs the DATA script's $mode in a child perl with the switch set to $missing.
sub child ($missing, $mode) {
    local $ENV{LINUX_EVENT_PRETEND_MISSING} = $missing;
    open(my $out, '-|', $^X, @inc, '-e', $script, $mode) or die "cannot run perl: $!";
    my %r = read_report($out);
    close $out;
    is $?, 0, "[$missing] $mode: the child perl exited normally" or diag "wait status $?";
    diag "[$missing] $mode: child error: $r{error}" if defined $r{error};
    return %r;
}

# ---------------------------------------------------------------------------
# Without epoll_pwait2: epoll_wait, with timeouts rounded up to milliseconds.
# ---------------------------------------------------------------------------
for my $missing ('epoll_pwait2', 'epoll_pwait2=EPERM') {
    my %r = child($missing, 'timers');
    is $r{fired}, $r{scheduled}, "[$missing] every sub-millisecond timer fired";
    is $r{early}, 0, "[$missing] none fired before its time"
        or diag "early by: $r{early_by}";
    cmp_ok $r{worst_late_ms}, '<', 100, "[$missing] each fired within a generous bound of its time"
        . " (worst $r{worst_late_ms} ms late, median $r{median_late_ms} ms)";
    cmp_ok $r{median_late_ms}, '<', 25, "[$missing] typically within milliseconds of it";
    is $r{order}, 'ok', "[$missing] in the order of their deadlines";
    cmp_ok $r{run_once_ms}, '>=', 1,
        "[$missing] run_once(0.0003) with nothing ready slept a whole millisecond ($r{run_once_ms} ms): rounded up, never down to 0";
    cmp_ok $r{run_once_ms}, '<', 100, "[$missing] ... and returned";
    is $r{run_once_n}, 0, "[$missing] ... having dispatched nothing";
}

# The same measurement with epoll_pwait2, for contrast (not asserted below a
# millisecond: a loaded machine may oversleep).
{
    my %r = child('', 'timers');
    is $r{early}, 0, 'with epoll_pwait2 no timer fires early either';
    cmp_ok $r{run_once_ms}, '>=', 0.3, "with epoll_pwait2 run_once(0.0003) slept its 0.3 ms ($r{run_once_ms} ms)";
}

# ---------------------------------------------------------------------------
# Without pidfd_open: pid() croaks once, clearly, from the caller's line; the
# loop goes on working.
# ---------------------------------------------------------------------------
for my $missing ('pidfd_open', 'pidfd_open=EPERM') {
    my ($errno) = $missing =~ /=(\w+)/;
    $errno //= 'ENOSYS';
    my %r = child($missing, 'pid');
    like $r{croak}, qr/^pid: watching processes needs pidfd_open\(2\), which Linux has since 5\.3; this kernel or its sandbox refuses it \($errno\) at -e line \d+\.$/,
        "[$missing] pid() croaks naming pidfd_open, Linux 5.3 and $errno";
    is $r{croak_line}, $r{call_line}, "[$missing] ... from the caller's line";
    is $r{croak_again}, $r{croak}, "[$missing] a second pid() croaks the same way";
    is $r{timer}, 1, "[$missing] the loop still runs timers";
    is $r{woken}, 2, "[$missing] ... and its waker still wakes it";
    is $r{read}, 'x', "[$missing] ... and its watchers still fire";
    is $r{reaped}, 1, "[$missing] the child was left for the program to reap";
}

# ---------------------------------------------------------------------------
# pidfd_open without waitid(P_PIDFD) (Linux 5.3): child watching still works.
# ---------------------------------------------------------------------------
SKIP: {
    skip 'pidfd_open is not available on this kernel', 4 unless have_pidfd();
    my %r = child('waitid_pidfd=EINVAL', 'waitid');
    is $r{status}, 7 << 8, 'without P_PIDFD a child exit is reported with its status';
    is $r{reaped_by_loop}, 1, '... and the loop reaped it';
    like $r{not_child}, qr/is not a child of this process/, 'a process that is not our child is still refused with reap => 1';
}

done_testing;

__DATA__
use v5.36;
use Linux::Event;
use LE::Test qw(now report);    # t/lib is in @INC through -I
use POSIX ();

$SIG{ALRM} = sub { report(error => 'timed out'); exit 1 };
alarm 60;
$LE::Test::REPORT = \*STDOUT;

my $mode = shift;
my $loop = Linux::Event->new;

if ($mode eq 'timers') {
    # Delays that milliseconds cannot express, each measured from the moment
    # it was scheduled.
    my @delays = map { 0.0003 + 0.0007 * $_ } 0 .. 15;
    my (@late, @fired_order, $early, @early_by);
    my $left = @delays;
    for my $i (0 .. $#delays) {
        my $d  = $delays[$i];
        my $t0 = now();
        $loop->after($d, sub ($loop) {
            my $late = now() - $t0 - $d;
            if ($late < 0) { $early++; push @early_by, -$late }
            push @late, $late;
            push @fired_order, $i;
            $loop->stop unless --$left;
        });
    }
    $loop->run;
    @late = sort { $a <=> $b } @late;
    my $t0 = now();
    my $n  = $loop->run_once(0.0003);
    report(
        scheduled      => scalar @delays,
        fired          => scalar @fired_order,
        early          => $early // 0,
        early_by       => "@early_by",
        order          => (join(',', @fired_order) eq join(',', 0 .. $#delays) ? 'ok' : "@fired_order"),
        worst_late_ms  => sprintf('%.3f', 1e3 * $late[-1]),
        median_late_ms => sprintf('%.3f', 1e3 * $late[@late / 2]),
        run_once_ms    => sprintf('%.3f', 1e3 * (now() - $t0)),
        run_once_n     => $n,
    );
}
elsif ($mode eq 'pid') {
    my $kid = fork // die "fork: $!";
    POSIX::_exit(0) unless $kid;
    my ($err, $err2, $line);
    eval { $line = __LINE__; $loop->pid($kid, sub { }); 1 } or $err = $@;
    eval { $loop->pid($kid, sub { }, reap => 0); 1 } or $err2 = $@;
    chomp(my $e1 = $err // '');
    (my $e2 = $err2 // '') =~ s/ at -e line \d+\.\n\z/ at -e line $line./;
    chomp $e2;
    my ($croak_line) = $e1 =~ / at -e line (\d+)\.\z/;

    my ($timer, $woken, $read) = (0, 0, '');
    pipe(my $r, my $w) or die "pipe: $!";
    $loop->watch($r, read => sub ($loop, $fh, $watcher) {
        sysread $fh, $read, 1;
        $watcher->cancel;
    });
    syswrite $w, 'x';
    my $waker = $loop->waker;
    $waker->on_wakeup(sub ($loop, $n) { $woken += $n });
    $waker->signal(2);
    $loop->after(0.01, sub ($loop) { $timer++; $loop->stop });
    $loop->run;
    report(
        croak       => $e1,
        croak_again => $e2,
        croak_line  => $croak_line,
        call_line   => $line,
        timer       => $timer,
        woken       => $woken,
        read        => $read,
        reaped      => (waitpid($kid, 0) == $kid ? 1 : 0),
    );
}
elsif ($mode eq 'waitid') {
    my $kid = fork // die "fork: $!";
    if (!$kid) { select undef, undef, undef, 0.05; POSIX::_exit(7) }
    my $status;
    $loop->pid($kid, sub ($loop, $pid, $st, $data) { $status = $st; $loop->stop }, reap => 1);
    $loop->after(10, sub ($loop) { $loop->stop });
    $loop->run;
    my $not_child = eval { $loop->pid(getppid(), sub { }, reap => 1); 1 } ? 'accepted' : $@;
    report(
        status         => $status,
        reaped_by_loop => (waitpid($kid, POSIX::WNOHANG()) == -1 ? 1 : 0),
        not_child      => $not_child,
    );
}
