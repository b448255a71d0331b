#!perl
# Leaks, measured from /proc/self: RSS (VmRSS) and open descriptors
# (/proc/self/fd) before and after
#   100 000 watch/unwatch cycles,
#   100 000 loops created and destroyed, each with a waker,
#   100 000 timers with closures, fired or cancelled,
# each under 10 MB of RSS growth and with the fd count back to the start.
# (Threads started and joined with a cloned waker: t/69-leaks-threads.t.)
use v5.36;
use Test::More;

BEGIN { alarm 150 }

use IO::Handle;
use Linux::Event;
use FindBin;
use lib "$FindBin::Bin/lib";
use LE::Test qw(now rss_kb fd_count new_socketpair);

my $MAX_GROWTH_KB = 10 * 1024;

# Runs $code->($i) for $i in 1..$n after a warm-up of $n/10, and checks RSS
# growth and the fd count.
sub leak_check ($name, $n, $code) {
    $code->($_) for 1 .. int($n / 10);    # warm-up: let perl's and malloc's pools settle
    my ($rss0, $fds0, $t0) = (rss_kb(), fd_count(), now());
    $code->($_) for 1 .. $n;
    my ($rss1, $fds1, $dt) = (rss_kb(), fd_count(), now() - $t0);
    my $growth = $rss1 - $rss0;
    if ($ENV{LE_UNDER_VALGRIND}) {    # valgrind holds freed blocks back: RSS says nothing there
        pass "$name: RSS not checked under valgrind (memcheck checks the leaks)";
    }
    else {
        cmp_ok $growth, '<', $MAX_GROWTH_KB, "$name: RSS growth under 10 MB";
    }
    is $fds1, $fds0, "$name: fd count back to $fds0";
    diag sprintf '%-44s %7d in %5.2f s: RSS %7.1f -> %7.1f MB (%+.2f MB), fds %d -> %d',
        $name, $n, $dt, $rss0 / 1024, $rss1 / 1024, $growth / 1024, $fds0, $fds1;
}

# ---------------------------------------------------------------------------
# 100 000 watch/unwatch cycles (unwatch, cancel and replacement in turn),
# with callbacks that are closures and data that is a structure, and every
# 10th cycle dispatched once.
# ---------------------------------------------------------------------------
{
    my $loop = Linux::Event->new;
    my ($x, $y) = new_socketpair();
    syswrite($y, 'x');    # $x stays readable
    my $hits = 0;
    leak_check('watch/unwatch cycles', 100_000, sub ($i) {
        my $data = { i => $i, list => [ 1 .. 3 ] };
        my $w = $loop->watch($x,
            read  => sub ($l, $fh, $w) { $hits++ },
            write => sub ($l, $fh, $w) { $hits++ },
            data  => $data,
        );
        $loop->run_once(0) if $i % 10 == 0;
        my $how = $i % 3;
        if    ($how == 0) { $loop->unwatch($x) or die 'unwatch returned false' }
        elsif ($how == 1) { $w->cancel or die 'cancel returned false' }
        else {
            # replaced by a new watcher, which is then unwatched
            $loop->watch($x, read => sub { $hits++ });
            $loop->unwatch($x) or die 'unwatch returned false';
        }
    });
    cmp_ok $hits, '>', 0, 'the watchers were dispatched along the way';
    is $loop->unwatch($x), 0, 'nothing left watched';
}

# ---------------------------------------------------------------------------
# 100 000 loops created and destroyed, each with a waker (signalled, and on
# every 10th a watcher, a timer and an on_wakeup handler that close over the
# waker and the handle, and a dispatch cycle).  (A callback that closes over
# its own loop makes a reference cycle, as in any Perl object graph; the
# callbacks get the loop as their first argument instead.)
# ---------------------------------------------------------------------------
{
    my ($x, $y) = new_socketpair();
    my $woken = 0;
    leak_check('loops created/destroyed with a waker', 100_000, sub ($i) {
        my $loop  = Linux::Event->new;
        my $waker = $loop->waker;
        $waker->signal;
        if ($i % 10 == 0) {
            $waker->on_wakeup(sub ($l, $n) { $woken += $n });
            $loop->watch($x, read => sub { my $keep = [ $waker, $x ] });
            $loop->after(60, sub { my $keep = $waker });
            $loop->run_once(0);
        }
    });
    cmp_ok $woken, '>', 0, 'the wakers woke their loops';
}

# ---------------------------------------------------------------------------
# 100 000 timers with closures: in batches of 1 000, half cancelled, the
# rest fired.
# ---------------------------------------------------------------------------
{
    my $loop  = Linux::Event->new;
    my $fired = 0;
    my $batch = 1000;
    my @ids;
    leak_check('timers with closures, fired or cancelled', 100_000, sub ($i) {
        my $payload = [ $i, "timer $i" ];
        push @ids, $loop->after(($i % 7) * 0.0001, sub ($l) { $fired += 1 + 0 * @$payload });
        return if $i % $batch;
        $loop->cancel($ids[$_]) for grep { $_ % 2 } 0 .. $#ids;
        @ids = ();
        my $t0 = now();
        $loop->run_once(0.01) while $loop->run_once(0) || now() - $t0 < 0.002;
    });
    my $t0 = now();
    $loop->run_once(0.01) until now() - $t0 > 0.05;
    is $fired, (100_000 + 10_000) / 2, 'exactly the uncancelled half fired';
}

done_testing;
