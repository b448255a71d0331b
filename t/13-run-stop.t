use v5.36;
use Config;
BEGIN { require threads if $Config{useithreads} }
use Test::More;

# Watchdog: a loop that never returns is a failure, never a pass.
BEGIN { alarm 120 }

use POSIX ();
use Scalar::Util qw(refaddr);
use Time::HiRes ();

use Linux::Event;
use FindBin;
use lib "$FindBin::Bin/lib";
use LE::Test qw(now fd_count kill_me_later);

my $FILE = __FILE__;
# ---------------------------------------------------------------------------
# run_once basics: 0 polls; a timeout bounds the wait; bad timeouts croak.
# ---------------------------------------------------------------------------
{
    my $loop = Linux::Event->new;
    my $t0 = now();
    my $n = $loop->run_once(0);
    cmp_ok now() - $t0, '<', 0.5, 'run_once(0) polls and returns at once';
    is $n, 0, 'run_once(0) with nothing to do dispatched 0 callbacks';

    $t0 = now();
    $loop->run_once(0.3);
    my $el = now() - $t0;
    cmp_ok $el, '>=', 0.25, "run_once(0.3) with nothing to do waits about 0.3 s ($el)";
    cmp_ok $el, '<', 2, '... and not much longer';

    # run_once() with no timeout blocks until the next timer.
    my $fired = 0;
    $loop->after(0.3, sub { $fired++ });
    $t0 = now();
    $n = $loop->run_once();
    $el = now() - $t0;
    is $fired, 1, 'run_once() with no timeout waits for the next timer';
    cmp_ok $el, '>=', 0.25, "... it blocked until the deadline ($el)";
    cmp_ok $el, '<', 2, '... and returned promptly after it';
    is $n, 1, 'run_once returns the number of callbacks dispatched (1)';

    for my $case ([-1, '-1'], ['abc', "'abc'"], [9**9**9, 'inf'], [-9**9**9, '-inf'],
                  [do { my $x = 9**9**9; $x / $x }, 'nan'], [[], '[]']) {
        my ($arg, $name) = @$case;
        no warnings;
        my $ok = eval { $loop->run_once($arg); 1 }; my $line = __LINE__;
        ok !$ok, "run_once($name) croaks";
        like $@, qr/ at \Q$FILE\E line $line\.?\n?\z/, "run_once($name): reported at the caller's line";
    }
}

# ---------------------------------------------------------------------------
# stop() in a callback: run() returns without another kernel wait.
# ---------------------------------------------------------------------------
{
    my $loop = Linux::Event->new;
    my ($stopped, $late) = (0, 0);
    $loop->after(0.05, sub ($l) { $stopped++; $l->stop });
    $loop->after(5,    sub ($l) { $late++;    $l->stop });
    my $t0 = now();
    my @rv = $loop->run;
    my $el = now() - $t0;
    is $stopped, 1, 'the stopping timer fired';
    is $late, 0, 'the 5 s timer did not fire';
    cmp_ok $el, '<', 2, "run() returned promptly after stop() in a timer callback ($el s)";

    # stop() in a callback while other events are ready in the same cycle:
    # run() still returns (no further wait).
    my @order;
    $loop->after(0, sub ($l) { push @order, 'a'; $l->stop });
    $loop->after(0, sub ($l) { push @order, 'b' });
    $t0 = now();
    $loop->run;
    cmp_ok now() - $t0, '<', 2, 'run() returns promptly when stop() is called with more events due';

    # The 5 s timer is still pending, and the loop can run again.
    my $again = 0;
    $loop->after(0.05, sub ($l) { $again++; $l->stop });
    $t0 = now();
    $loop->run;
    is $again, 1, 'the loop runs again after stop()';
    cmp_ok now() - $t0, '<', 2, '... and stop() again ends it promptly';
    is $late, 0, 'the 5 s timer is still pending, not fired';
}

# stop() from on_wakeup ends run().
{
    my $loop = Linux::Event->new;
    my $w    = $loop->waker;
    my $backstop = 0;
    my $id = $loop->after(10, sub ($l) { $backstop++; $l->stop });
    my $n = 0;
    $w->on_wakeup(sub ($l, $c) { $n += $c; $l->stop });
    $w->signal(2);
    my $t0 = now();
    $loop->run;
    is $n, 2, 'on_wakeup ran';
    ok !$backstop, 'run() ended by stop() in on_wakeup, not by the backstop';
    cmp_ok now() - $t0, '<', 2, '... promptly';
    ok $loop->cancel($id), 'backstop cancelled';
}

# stop() never creates the waker.
{
    my $loop = Linux::Event->new;
    # Warm up: let the loop create whatever it creates lazily for timers/run.
    $loop->after(0, sub ($l) { $l->stop });
    $loop->run;
    my $before = fd_count();
    $loop->stop;
    $loop->after(0, sub ($l) { $l->stop });
    $loop->run;
    is fd_count(), $before, 'stop() (inside and outside run) did not create a waker fd';
    $loop->waker;
    cmp_ok fd_count(), '>', $before, 'waker() then does create one';
}

# ---------------------------------------------------------------------------
# %SIG handlers run promptly while run() is blocked in the kernel.
# ---------------------------------------------------------------------------

# run() on $loop (with a 10 s backstop timer) while a forked child sends $sig
# after 0.3 s and $SIG{$sig} stops the loop. Returns (handler calls, seconds
# from the start to the handler's last call or undef, backstop calls, seconds
# run() took).
sub run_stopped_by_signal ($loop, $sig) {
    my $backstop = 0;
    my $id = $loop->after(10, sub ($l) { $backstop++; $l->stop });
    my ($handled, $handled_at) = (0, undef);
    my $t0 = now();
    local $SIG{$sig} = sub { $handled++; $handled_at = now(); $loop->stop };
    my $pid = kill_me_later($sig, 0.3);
    $loop->run;
    my $el = now() - $t0;
    waitpid($pid, 0);
    $loop->cancel($id);
    return ($handled, defined $handled_at ? $handled_at - $t0 : undef, $backstop, $el);
}

# SIGUSR1 from a forked child; the handler stops the loop.
{
    my $loop = Linux::Event->new;
    my (undef, $handled_after, $backstop, $el) = run_stopped_by_signal($loop, 'USR1');
    ok defined $handled_after, 'the %SIG{USR1} handler ran while run() was blocked';
    ok !$backstop, 'run() was ended by the handler, not the 10 s backstop';
    cmp_ok $el, '<', 2, "\$SIG{USR1} = sub { \$loop->stop } stopped a blocked run() promptly ($el s)";
    cmp_ok($handled_after // 99, '<', 2, 'the handler ran promptly after the signal');
}

# SIGINT, as in the documentation: $SIG{INT} = sub { $loop->stop }.
{
    my $loop = Linux::Event->new;
    my ($handled, undef, $backstop, $el) = run_stopped_by_signal($loop, 'INT');
    is $handled, 1, 'the %SIG{INT} handler ran while run() was blocked';
    ok !$backstop, 'not ended by the backstop';
    cmp_ok $el, '<', 2, "\$SIG{INT} = sub { \$loop->stop } stopped a blocked run() promptly ($el s)";
}

# Same, with a waker present (stop() also signals it).
{
    my $loop = Linux::Event->new;
    my $w    = $loop->waker;
    my ($handled, undef, $backstop, $el) = run_stopped_by_signal($loop, 'USR1');
    is $handled, 1, 'handler ran (loop with a waker)';
    ok !$backstop, 'not ended by the backstop';
    cmp_ok $el, '<', 2, "stopped promptly ($el s)";
}

# SIGALRM; the handler stops the loop.
{
    my $loop = Linux::Event->new;
    my $backstop = 0;
    my $id = $loop->after(10, sub ($l) { $backstop++; $l->stop });
    my $handled = 0;
    my $t0 = now();
    {
        local $SIG{ALRM} = sub { $handled++; $loop->stop };
        Time::HiRes::alarm(0.3);
        $loop->run;
        Time::HiRes::alarm(0);
    }
    alarm 120;    # re-arm the watchdog
    my $el = now() - $t0;
    is $handled, 1, 'the %SIG{ALRM} handler ran while run() was blocked';
    ok !$backstop, 'not ended by the backstop';
    cmp_ok $el, '<', 2, "alarm + stop in the handler ended run() promptly ($el s)";
    $loop->cancel($id);
}

# A handler that does not call stop: run() goes on waiting.
{
    my $loop = Linux::Event->new;
    my $handled;
    my $t0 = now();
    local $SIG{USR2} = sub { $handled = now() };
    my $stopped;
    $loop->after(1.2, sub ($l) { $stopped = now(); $l->stop });
    my $pid = kill_me_later('USR2', 0.3);
    $loop->run;
    waitpid($pid, 0);
    ok defined $handled, 'the handler ran';
    cmp_ok(($handled // 99) - $t0, '<', 1.0, 'the handler ran promptly (before the 1.2 s timer)');
    ok defined $stopped, 'run() went on until the timer stopped it';
    cmp_ok now() - $t0, '>=', 1.1, 'run() did not return when the handler ran';
}

# run_once() (no timeout) returns after running a %SIG handler.
{
    my $loop = Linux::Event->new;
    my $backstop = 0;
    my $id = $loop->after(5, sub { $backstop++ });
    my $handled = 0;
    local $SIG{USR1} = sub { $handled++ };
    my $pid = kill_me_later('USR1', 0.3);
    my $t0 = now();
    $loop->run_once();
    my $el = now() - $t0;
    waitpid($pid, 0);
    is $handled, 1, 'handler ran during run_once()';
    ok !$backstop, 'run_once() was not ended by the 5 s timer';
    cmp_ok $el, '<', 2, "run_once() returned promptly after the handler ($el s)";
    ok $loop->cancel($id), 'the 5 s timer is still pending (cancel is true)';
}

# A die in a %SIG handler comes out of run() unchanged; the loop runs again.
{
    my $loop = Linux::Event->new;
    my $backstop = 0;
    my $id = $loop->after(10, sub ($l) { $backstop++; $l->stop });
    local $SIG{USR1} = sub { die "sig boom\n" };
    my $pid = kill_me_later('USR1', 0.3);
    my $t0 = now();
    my $ok = eval { $loop->run; 1 };
    my $err = $@;
    waitpid($pid, 0);
    ok !$ok, 'run() died';
    is $err, "sig boom\n", 'a die in a %SIG handler propagates out of run() unchanged';
    ok !$backstop, 'not ended by the backstop';
    cmp_ok now() - $t0, '<', 2, 'promptly';
    my $again = 0;
    $loop->after(0.05, sub ($l) { $again++; $l->stop });
    $ok = eval { $loop->run; 1 };
    ok $ok, 'run() can be called again' or diag $@;
    is $again, 1, '... and dispatches';
    $loop->cancel($id);
}

# ---------------------------------------------------------------------------
# Exceptions from on_wakeup come out of run/run_once unchanged; the loop can
# run again.
# ---------------------------------------------------------------------------
{
    package My::Error;
    sub new ($class, %a) { bless {%a}, $class }
}
{
    my $loop = Linux::Event->new;
    my $w    = $loop->waker;

    # string, from run_once
    $w->on_wakeup(sub { die "wake boom\n" });
    $w->signal;
    my $ok = eval { $loop->run_once(1); 1 };
    ok !$ok, 'run_once died';
    is $@, "wake boom\n", 'a string exception from on_wakeup comes out of run_once unchanged';

    # object, from run_once
    my $obj = My::Error->new(code => 42);
    $w->on_wakeup(sub { die $obj });
    $w->signal;
    $ok = eval { $loop->run_once(1); 1 };
    ok !$ok, 'run_once died (object)';
    is refaddr($@), refaddr($obj), 'the same exception object comes out of run_once';
    is ref($@), 'My::Error', '... still blessed';

    # string, from run
    my $backstop = 0;
    my $id = $loop->after(10, sub ($l) { $backstop++; $l->stop });
    $w->on_wakeup(sub { die "run boom\n" });
    $w->signal;
    my $t0 = now();
    $ok = eval { $loop->run; 1 };
    ok !$ok, 'run died';
    is $@, "run boom\n", 'a string exception from on_wakeup comes out of run unchanged';
    cmp_ok now() - $t0, '<', 2, 'promptly';

    # object, from run
    my $obj2 = My::Error->new(code => 7);
    $w->on_wakeup(sub { die $obj2 });
    $w->signal;
    $ok = eval { $loop->run; 1 };
    ok !$ok, 'run died (object)';
    is refaddr($@), refaddr($obj2), 'the same exception object comes out of run';
    ok !$backstop, 'the backstop did not fire';

    # The loop can run again; another signal is seen.
    my @seen;
    $w->on_wakeup(sub ($l, $c) { push @seen, $c });
    $w->signal(3);
    $ok = eval { $loop->run_once(1); 1 };
    ok $ok, 'run_once works after exceptions' or diag $@;
    is_deeply \@seen, [3], 'another signal is seen after the exceptions';
    is $w->drain, 0, 'the counter was drained';

    $w->on_wakeup(sub ($l, $c) { push @seen, $c; $l->stop });
    $w->signal(4);
    $t0 = now();
    $ok = eval { $loop->run; 1 };
    ok $ok, 'run() works after exceptions (not stuck as "already running")' or diag $@;
    is_deeply \@seen, [3, 4], 'run() sees the next signal';
    cmp_ok now() - $t0, '<', 2, 'promptly';
    ok $loop->cancel($id), 'the backstop timer was still pending';
}

# A die from a timer callback also propagates, and the loop runs again.
{
    my $loop = Linux::Event->new;
    $loop->after(0, sub { die "timer boom\n" });
    my $ok = eval { $loop->run; 1 };
    is $@, "timer boom\n", 'a die in a timer callback comes out of run() unchanged';
    my $fired = 0;
    $loop->after(0, sub ($l) { $fired++; $l->stop });
    $ok = eval { $loop->run; 1 };
    ok $ok, 'run() again works' or diag $@;
    is $fired, 1, '... and dispatches';
}

# ---------------------------------------------------------------------------
# Nested run from a callback croaks "already running".
# ---------------------------------------------------------------------------
{
    my $loop = Linux::Event->new;
    my ($e_run, $e_once, $e_line, $line);
    $loop->after(0, sub ($l) {
        eval { $l->run }; $line = __LINE__;
        $e_run = $@;
        eval { $l->run_once(0) };
        $e_once = $@;
        $l->stop;
    });
    my $backstop = 0;
    my $id = $loop->after(5, sub ($l) { $backstop++; $l->stop });
    my $t0 = now();
    $loop->run;
    like $e_run // '', qr/already running/, 'nested run() from a timer callback croaks "already running"';
    like $e_run // '', qr/ at \Q$FILE\E line $line\.?\n?\z/, "... reported at the caller's line";
    like $e_once // '', qr/already running/, 'nested run_once() croaks "already running"';
    ok !$backstop, 'the outer run() ended by stop(), not the backstop';
    cmp_ok now() - $t0, '<', 2, 'promptly';
    $loop->cancel($id);

    # Nested from on_wakeup (inside run_once).
    my $w = $loop->waker;
    my $e_wake;
    $w->on_wakeup(sub ($l, $c) { eval { $l->run }; $e_wake = $@ });
    $w->signal;
    $loop->run_once(1);
    like $e_wake // '', qr/already running/, 'nested run() from on_wakeup inside run_once croaks';

    # The outer loop is not broken by the refused nesting.
    my $ok = 0;
    $loop->after(0, sub ($l) { $ok++; $l->stop });
    $loop->run;
    is $ok, 1, 'the loop runs normally afterwards';

    # Running a different loop from inside a callback is not "nesting".
    my $other = Linux::Event->new;
    my ($inner, $err) = (0, '');
    $loop->after(0, sub ($l) {
        $other->after(0, sub ($o) { $inner++; $o->stop });
        eval { $other->run; 1 } or $err = $@;
        $l->stop;
    });
    $loop->run;
    is $err, '', 'running another loop from a callback does not croak';
    is $inner, 1, '... and that loop dispatches';
}

# ---------------------------------------------------------------------------
# stop() from another thread after the waker exists wakes a blocked run().
# (Last: threads are created only after the signal tests.)
# ---------------------------------------------------------------------------
SKIP: {
    skip 'this perl is built without ithreads', 5 unless $Config{useithreads};
    my $loop = Linux::Event->new;
    my $w    = $loop->waker;
    my $backstop = 0;
    my $id = $loop->after(10, sub ($l) { $backstop++; $l->stop });
    my $thr = threads->create(sub {
        select undef, undef, undef, 0.4;
        return eval { $loop->stop; 1 } ? 'ok' : "$@";
    });
    my $t0 = now();
    $loop->run;
    my $el = now() - $t0;
    is $thr->join, 'ok', 'stop() in the thread did not croak';
    ok !$backstop, 'run() was not ended by the backstop';
    cmp_ok $el, '>=', 0.2, "run() blocked until the thread's stop ($el s)";
    cmp_ok $el, '<', 2, 'stop() from another thread woke the blocked run() promptly';
    ok $loop->cancel($id), 'backstop still pending';
}

done_testing;
