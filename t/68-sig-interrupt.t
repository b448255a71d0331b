#!perl
# Signals interrupting the wait: a %SIG handler (ALRM from ualarm, USR2 from
# a forked child) runs promptly while run() is blocked in the kernel, the
# wait resumes, and no event is lost: a timer due later fires at its time, a
# watcher still sees its data, subscribed signals still arrive.
use v5.36;
use Test::More;

# Watchdog. The ALRM tests below borrow SIGALRM and re-arm it afterwards.
BEGIN { alarm 90 }
sub watchdog () { $SIG{ALRM} = 'DEFAULT'; alarm 90 }

use POSIX ();
use IO::Handle;
use Time::HiRes qw(ualarm);
use Linux::Event;
use FindBin;
use lib "$FindBin::Bin/lib";
use LE::Test qw(now send_at);

# ---------------------------------------------------------------------------
# ALRM (ualarm) while run() is blocked with only a later timer pending.
# ---------------------------------------------------------------------------
{
    my $loop = Linux::Event->new;
    my $t0 = now();
    my ($alrm_at, $timer_at, $backstop);
    local $SIG{ALRM} = sub { $alrm_at = now() };
    $loop->at($t0 + 0.6, sub ($l) { $timer_at = now(); $l->stop });
    $loop->after(10, sub ($l) { $backstop = 1; $l->stop });
    ualarm(200_000);
    $loop->run;
    watchdog();
    ok defined $alrm_at, 'the ALRM handler ran while run() was blocked';
    cmp_ok $alrm_at - $t0, '<', 0.45, sprintf('... promptly (%.3f s after start, alarm at 0.2 s)', ($alrm_at // 99) - $t0);
    ok !$backstop, 'run() was ended by the timer, not the backstop';
    cmp_ok $timer_at - $t0, '>=', 0.6, sprintf('the wait resumed: the 0.6 s timer fired at %.3f s, not early', $timer_at - $t0);
    cmp_ok $timer_at - $t0, '<', 0.9, '... and not late';
}

# ---------------------------------------------------------------------------
# Repeated ALRMs (every 50 ms) during a run with timers, a watcher and a
# subscribed signal: every event arrives, every timer on time.
# ---------------------------------------------------------------------------
{
    my $loop = Linux::Event->new;
    my $alrms = 0;
    local $SIG{ALRM} = sub { $alrms++ };
    pipe(my $r, my $w) or die;
    $w->autoflush(1);
    my $got = '';
    $loop->watch($r, read => sub ($l, $fh, $wt) { sysread($fh, my $b, 100); $got .= $b });
    my $hup = 0;
    $loop->signal('HUP', sub ($l, $s, $c, $d) { $hup += $c });
    my $t0 = now();
    my %late;
    my @deadlines = map { 0.1 * $_ } 1 .. 8;
    for my $d (@deadlines) {
        $loop->at($t0 + $d, sub ($l) {
            $late{$d} = now() - ($t0 + $d);
            syswrite($w, "<$d>");
            $l->stop if $d == $deadlines[-1];
        });
    }
    my $hup_kid = send_at(HUP => $t0 + 0.35);
    ualarm(50_000, 50_000);
    $loop->run;
    ualarm(0);
    watchdog();
    waitpid($hup_kid, 0);
    $loop->run_once(0.05);
    cmp_ok $alrms, '>=', 8, "the ALRM handler ran repeatedly during the run ($alrms times)";
    is scalar(keys %late), 8, 'all 8 timers fired';
    is scalar(grep { $_ < 0 } values %late), 0, 'none early';
    my ($worst) = sort { $b <=> $a } values %late;
    cmp_ok $worst, '<', 0.25, sprintf('none late (worst %.3f s)', $worst);
    is $got, join('', map { "<$_>" } @deadlines), 'the watcher saw every write, in order';
    is $hup, 1, 'the subscribed HUP arrived through the loop';
}

# ---------------------------------------------------------------------------
# USR2 from a forked child, three times, while run() is blocked: the handler
# runs promptly each time; a later timer and a watcher's data are not lost.
# ---------------------------------------------------------------------------
{
    my $loop = Linux::Event->new;
    my $t0 = now();
    my @sent = map { $t0 + $_ } 0.2, 0.4, 0.6;
    my @ran;
    local $SIG{USR2} = sub { push @ran, now() };
    pipe(my $r, my $w) or die;
    $w->autoflush(1);
    my ($got, $got_at) = ('');
    $loop->watch($r, read => sub ($l, $fh, $wt) { sysread($fh, my $b, 100); $got .= $b; $got_at = now() });
    my $writer = fork // die;
    if (!$writer) {
        select undef, undef, undef, 0.5;
        syswrite($w, 'late data');
        POSIX::_exit(0);
    }
    my $timer_at;
    $loop->at($t0 + 0.9, sub ($l) { $timer_at = now(); $l->stop });
    $loop->after(10, sub ($l) { $l->stop });
    my $kid = send_at(USR2 => @sent);
    $loop->run;
    waitpid($_, 0) for $kid, $writer;
    is scalar(@ran), 3, 'the USR2 handler ran three times';
    my @lag = map { ($ran[$_] // 99) - $sent[$_] } 0 .. 2;
    is scalar(grep { $_ > 0.25 } @lag), 0, sprintf('... each promptly (lags %s s)', join ', ', map { sprintf '%.3f', $_ } @lag);
    is $got, 'late data', 'the watcher saw the data written between the signals';
    cmp_ok $got_at - $t0, '<', 0.8, '... when it arrived';
    cmp_ok $timer_at - $t0, '>=', 0.9, sprintf('the 0.9 s timer fired at %.3f s: not early', $timer_at - $t0);
    cmp_ok $timer_at - $t0, '<', 1.2, '... not late';
}

# ---------------------------------------------------------------------------
# run_once with a long timeout returns after a %SIG handler ran; the
# pending timer is still there.
# ---------------------------------------------------------------------------
{
    my $loop = Linux::Event->new;
    my $ran = 0;
    local $SIG{USR2} = sub { $ran++ };
    my $fired = 0;
    my $t0 = now();
    $loop->at($t0 + 0.5, sub { $fired++ });
    my $kid = send_at(USR2 => $t0 + 0.15);
    my $n = $loop->run_once(5);
    my $dt = now() - $t0;
    waitpid($kid, 0);
    is $ran, 1, 'the handler ran during run_once';
    cmp_ok $dt, '<', 0.45, sprintf('run_once returned after the handler (%.3f s), before the timer', $dt);
    ok $n >= 1, 'run_once counted the handler as something it ran';
    is $fired, 0, 'the timer has not fired yet';
    $loop->run_once(2) until $fired || now() - $t0 > 3;
    is $fired, 1, 'the timer fired afterwards';
    cmp_ok now() - $t0, '>=', 0.5, '... at its time';
}

# ---------------------------------------------------------------------------
# A signal storm (a child sends 500 USR2 as fast as it can) during a stream
# of 2 000 messages through a watched pipe and 50 timers: nothing lost.
# ---------------------------------------------------------------------------
{
    my $loop = Linux::Event->new;
    my $handled = 0;
    local $SIG{USR2} = sub { $handled++ };
    pipe(my $r, my $w) or die;
    my $buf = '';
    my $eof = 0;
    $loop->watch($r, read => sub ($l, $fh, $wt) {
        my $n = sysread($fh, my $b, 65536);
        if (!$n) { $eof = 1; $wt->cancel; return }
        $buf .= $b;
    });
    my $t0 = now();
    my @fired;
    for my $i (1 .. 50) { $loop->at($t0 + 0.01 * $i, sub { push @fired, $i }) }
    my $parent = $$;
    my $storm = fork // die;
    if (!$storm) {
        for (1 .. 500) { kill USR2 => $parent; select undef, undef, undef, 0.0005 }
        POSIX::_exit(0);
    }
    my $writer = fork // die;
    if (!$writer) {
        close $r;
        for my $i (1 .. 2000) {
            my $msg = sprintf "%06d\n", $i;
            syswrite($w, $msg) == length $msg or POSIX::_exit(1);
            select undef, undef, undef, 0.0002 if $i % 20 == 0;
        }
        POSIX::_exit(0);
    }
    close $w;
    $loop->run_once(0.5) until ($eof && @fired == 50) || now() - $t0 > 20;
    waitpid($_, 0) for $storm, $writer;
    my $dt = now() - $t0;
    my @lines = split /\n/, $buf;
    is scalar(@lines), 2000, 'all 2 000 messages arrived';
    is scalar(grep { $lines[$_] != $_ + 1 } 0 .. $#lines), 0, '... in order';
    ok $eof, 'EOF seen';
    is_deeply \@fired, [1 .. 50], 'all 50 timers fired, in order';
    cmp_ok $handled, '>', 0, 'the handler ran';
    diag sprintf 'signal storm: %d USR2 handled (the kernel coalesces), 2000 messages and 50 timers in %.2f s',
        $handled, $dt;
}

done_testing;
