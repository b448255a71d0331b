use v5.36;
use Test::More;

# Watchdog: a hang (e.g. a drain that blocks) is a failure, never a pass.
BEGIN { alarm 60 }

use Scalar::Util qw(refaddr);
use Fcntl qw(F_GETFL F_GETFD O_NONBLOCK FD_CLOEXEC);
use IO::Select;

use Linux::Event;
use FindBin;
use lib "$FindBin::Bin/lib";
use LE::Test qw(now fd_count);

my $FILE = __FILE__;
# ---------------------------------------------------------------------------
# One waker per loop, cached, created lazily, lives as long as the loop.
# ---------------------------------------------------------------------------
{
    my $loop = Linux::Event->new;
    $loop->run_once(0);    # let the loop create whatever it creates lazily
    my $before = fd_count();
    $loop->stop;           # stop() never creates the waker
    is fd_count(), $before, 'stop() on a loop without a waker opens no fd';

    my $w1 = $loop->waker;
    isa_ok $w1, 'Linux::Event::Wakeup', '$loop->waker';
    cmp_ok fd_count(), '>', $before, 'the waker (eventfd) is created on first use';
    my $after = fd_count();

    my $w2 = $loop->waker;
    is refaddr($w2), refaddr($w1), 'waker returns the same object on every call';
    is refaddr($loop->waker), refaddr($w1), 'same object again (third call)';
    is fd_count(), $after, 'later waker() calls create no new fd';

    # The loop keeps it: the counter survives the user dropping every copy.
    $w1->signal(4);
    my $fd = fileno($w1->fh);
    undef $w1;
    undef $w2;
    my $w3 = $loop->waker;
    is fileno($w3->fh), $fd, 'after dropping the user copies, waker() gives the same eventfd';
    is $w3->drain, 4, '... and the counter survived (same eventfd, not a new one)';
}

# Two loops: two different eventfds, independent counters.
{
    my $la = Linux::Event->new;
    my $lb = Linux::Event->new;
    my $wa = $la->waker;
    my $wb = $lb->waker;
    isnt refaddr($wa), refaddr($wb), 'two loops have two waker objects';
    isnt fileno($wa->fh), fileno($wb->fh), 'two loops have two different eventfds';
    $wa->signal(3);
    is $wb->drain, 0, "signalling loop A's waker does not touch loop B's";
    is $wa->drain, 3, "loop A's waker has its own count";
}

# ---------------------------------------------------------------------------
# fh: a real readable Perl filehandle on the eventfd; non-blocking; cloexec.
# ---------------------------------------------------------------------------
{
    my $loop = Linux::Event->new;
    my $w    = $loop->waker;
    my $fh   = $w->fh;
    ok defined $fh, 'fh returns something';
    my $fd = fileno($fh);
    ok defined $fd, 'fh has a file descriptor';
    cmp_ok $fd, '>', 2, 'the fd is not stdin/stdout/stderr';
    is fileno($w->fh), $fd, 'fileno is stable across fh calls';
    is fileno($fh), $fd, 'fileno is stable on the same handle';

    my $link = readlink "/proc/self/fd/$fd";
    like $link // '', qr/eventfd/, "the fd is an eventfd ($link)";

    my $fl = fcntl($fh, F_GETFL, 0);
    ok defined $fl, 'fcntl F_GETFL works on fh';
    ok((0 + $fl) & O_NONBLOCK, 'the fd is non-blocking (O_NONBLOCK)');
    my $fdfl = fcntl($fh, F_GETFD, 0);
    ok defined $fdfl, 'fcntl F_GETFD works on fh';
    ok((0 + $fdfl) & FD_CLOEXEC, 'the fd is close-on-exec (FD_CLOEXEC)');

    my $sel = IO::Select->new($fh);
    is $sel->count, 1, 'IO::Select accepts fh';
    my @r = $sel->can_read(0);
    is scalar @r, 0, 'not readable before any signal';

    $w->signal;
    @r = $sel->can_read(2);
    is scalar @r, 1, 'IO::Select can_read after signal';
    is fileno($r[0]), $fd, '... on the waker fd';

    is $w->drain, 1, 'drain after one signal returns 1';
    @r = $sel->can_read(0);
    is scalar @r, 0, 'not readable after drain';
}

# ---------------------------------------------------------------------------
# signal / signal($n) / drain
# ---------------------------------------------------------------------------
{
    my $loop = Linux::Event->new;
    my $w    = $loop->waker;

    my $t0 = now();
    is $w->drain, 0, 'drain with nothing signalled returns 0';
    is $w->drain, 0, 'drain again returns 0';
    cmp_ok now() - $t0, '<', 0.5, 'drain with nothing pending does not block';

    ok $w->signal, 'signal returns true';
    is $w->drain, 1, 'signal adds 1';
    is $w->drain, 0, 'drain resets the count';

    $w->signal for 1 .. 3;
    is $w->drain, 3, 'three signals coalesce to 3';

    ok $w->signal(5), 'signal(5) returns true';
    is $w->drain, 5, 'signal(5) adds 5';

    $w->signal(2);
    $w->signal;
    $w->signal(10);
    is $w->drain, 13, 'drain returns the sum since the last drain';

    $w->signal('3');
    is $w->drain, 3, "signal('3') (numeric string) adds 3";

    $w->signal(1_000_000_000_000);
    is $w->drain, 1_000_000_000_000, 'large counts survive (1e12)';

    # Bad arguments croak from the caller's line and add nothing.
    my @bad = (
        [0,     '0'],
        [-1,    '-1'],
        [1.5,   '1.5'],
        ['abc', "'abc'"],
        [[],    '[]'],
        [{},    '{}'],
        [undef, 'undef'],
        [-0.5,  '-0.5'],
        ['',    "''"],
        [18446744073709551615, '2**64-1'],
    );
    for my $case (@bad) {
        my ($arg, $name) = @$case;
        no warnings;
        my $ok = eval { $w->signal($arg); 1 }; my $line = __LINE__;
        ok !$ok, "signal($name) croaks";
        like $@, qr/ at \Q$FILE\E line $line\.?\n?\z/, "signal($name): croak reported at the caller's line";
        is $w->drain, 0, "signal($name) added nothing";
    }
}

# ---------------------------------------------------------------------------
# The counter pushed to its limit: clear croak; the loop is still woken.
# ---------------------------------------------------------------------------
{
    my $loop = Linux::Event->new;
    my $w    = $loop->waker;
    my @seen;
    $w->on_wakeup(sub { push @seen, $_[1] });

    my $max = 18446744073709551614;    # 2**64 - 2, the eventfd maximum (a UV)
    ok eval { $w->signal($max); 1 }, 'signal(2**64-2) on an empty counter works'
        or diag $@;

    my $ok = eval { $w->signal; 1 }; my $line = __LINE__;
    ok !$ok, 'signal on a full counter croaks (does not block, does not wrap)';
    like $@, qr/counter is full/i, 'the croak says the counter is full';
    like $@, qr/ at \Q$FILE\E line $line\.?\n?\z/, "... reported at the caller's line";

    $ok = eval { $w->signal(7); 1 };
    ok !$ok, 'signal(7) on a full counter croaks too';

    my $t0 = now();
    $loop->run_once(1);
    my $el = now() - $t0;
    cmp_ok $el, '<', 0.9, 'the loop is still woken (run_once(1) returns promptly)';
    is scalar @seen, 1, 'on_wakeup called once';
    is "$seen[0]", '18446744073709551614', 'on_wakeup saw the whole count (nothing lost)';
    is $w->drain, 0, 'the loop drained the counter';

    ok eval { $w->signal; 1 }, 'after draining, signal works again';
    is $w->drain, 1, '... and counts from zero';

    # Without the loop draining: drain itself returns the full count.
    $w->signal($max);
    is '' . $w->drain, '18446744073709551614', 'drain returns 2**64-2 exactly';
}

# ---------------------------------------------------------------------------
# The loop drains the waker itself; on_wakeup ABI is ($loop, $count).
# ---------------------------------------------------------------------------
{
    my $loop = Linux::Event->new;
    my $w    = $loop->waker;
    my @calls;
    my $rv = $w->on_wakeup(sub { push @calls, [@_] });
    is refaddr($rv), refaddr($w), 'on_wakeup returns the waker';

    $loop->run_once(0);
    is scalar @calls, 0, 'on_wakeup not called when nothing was signalled';

    $w->signal(5);
    my $t0 = now();
    $loop->run_once(0.1);
    cmp_ok now() - $t0, '<', 1, 'run_once returns promptly with a pending signal';
    is $w->drain, 0, 'after signal(5) and run_once(0.1), drain returns 0 (the loop drained it)';
    is scalar @calls, 1, 'on_wakeup called exactly once';
    is scalar @{ $calls[0] // [] }, 2, 'on_wakeup gets exactly 2 arguments';
    is refaddr($calls[0][0]), refaddr($loop), 'first argument is the loop';
    is $calls[0][1], 5, 'second argument is the drained count (5)';

    # Several signals between cycles coalesce into one call.
    @calls = ();
    $w->signal(2);
    $w->signal;
    $w->signal(3);
    $loop->run_once(0.1);
    is scalar @calls, 1, 'coalesced signals: one on_wakeup call';
    is $calls[0][1], 6, '... with the sum (6)';

    # Replace the handler.
    my @other;
    $w->on_wakeup(sub { push @other, $_[1] });
    @calls = ();
    $w->signal(4);
    $loop->run_once(0.1);
    is scalar @calls, 0, 'replaced handler is not called';
    is_deeply \@other, [4], 'the new handler is called';

    # on_wakeup(undef) removes it; the loop still drains.
    my $rv2 = $w->on_wakeup(undef);
    is refaddr($rv2), refaddr($w), 'on_wakeup(undef) returns the waker';
    @other = ();
    $w->signal(3);
    $t0 = now();
    $loop->run_once(0.1);
    cmp_ok now() - $t0, '<', 1, 'without a handler the loop still wakes';
    is scalar @other, 0, 'removed handler is not called';
    is scalar @calls, 0, 'old handler is not called either';
    is $w->drain, 0, 'the loop drained the counter without a handler';

    # A non-CODE handler croaks from the caller's line.
    my $ok = eval { $w->on_wakeup('not code'); 1 }; my $line = __LINE__;
    ok !$ok, 'on_wakeup with a non-CODE value croaks';
    like $@, qr/ at \Q$FILE\E line $line\.?\n?\z/, "... reported at the caller's line";
}

# ---------------------------------------------------------------------------
# The waker fd is reserved: user code may not watch it.
# ---------------------------------------------------------------------------
{
    my $loop = Linux::Event->new;
    my $w    = $loop->waker;
    my $ok = eval { $loop->watch($w->fh, read => sub { }); 1 }; my $line = __LINE__;
    ok !$ok, 'watching the waker fh croaks';
    like $@, qr/reserved/, '... the message says the fd is reserved';
    like $@, qr/ at \Q$FILE\E line $line\.?\n?\z/, "... reported at the caller's line";

    # The loop's own watcher is intact.
    my $n = 0;
    $w->on_wakeup(sub { $n += $_[1] });
    $w->signal(2);
    $loop->run_once(1);
    is $n, 2, 'the loop still drains its waker after the refused watch';
}

done_testing;
