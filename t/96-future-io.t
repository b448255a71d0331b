#!/usr/bin/env perl
# Future::IO on Linux::Event: sleep, sysread, syswrite, accept, connect and
# waitpid futures complete on the loop; cancelling one removes its watcher.
use v5.36;
use Test::More;
use IO::Socket::INET ();
use POSIX ();
use Socket qw(AF_UNIX SOCK_STREAM PF_UNSPEC pack_sockaddr_in inet_aton);
use Time::HiRes qw(time);

BEGIN {
    plan skip_all => 'Future::IO is not installed' unless eval { require Future::IO; 1 };
    alarm 60;
}

use Future::IO;
use Future::IO::Impl::LinuxEvent;

is $Future::IO::IMPL, 'Future::IO::Impl::LinuxEvent', 'loading the module makes it the implementation';
my $loop = Future::IO::Impl::LinuxEvent->loop;
isa_ok $loop, 'Linux::Event::Loop', 'its loop';

# ---- sleep -----------------------------------------------------------------------

{
    my $t0 = time;
    my $f = Future::IO->sleep(0.05);
    isa_ok $f, 'Future', 'sleep returns a future';
    $f->get;
    my $dt = time - $t0;
    cmp_ok $dt, '>=', 0.045, 'sleep(0.05) completes after 50 ms';
    cmp_ok $dt, '<', 2, '... not much later';

    my @order;
    my $f1 = Future::IO->sleep(0.03)->on_done(sub { push @order, 'slow' });
    my $f2 = Future::IO->sleep(0.01)->on_done(sub { push @order, 'fast' });
    Future->needs_all($f1, $f2)->get;
    is "@order", 'fast slow', 'two sleeps complete in deadline order';

    my $c = Future::IO->sleep(0.02);
    $c->cancel;
    my $t1 = time;
    is $loop->run_once(0.1), 0, 'a cancelled sleep: its timer is gone (nothing runs in 100 ms)';
    ok $c->is_cancelled, '... the future is cancelled';

    my $t2 = time;
    Future::IO->alarm(time + 0.03)->get;
    cmp_ok time - $t2, '>=', 0.025, 'alarm(epoch) completes at that time';
}

{
    # A bad time croaks once, from the caller's line, also once a line was
    # read from a handle (perl's die then adds "<$fh> line N").
    open(my $fh, '<', __FILE__) or die "open: $!";
    my $first = <$fh>;
    eval { Future::IO->sleep('x') }; my $line = __LINE__;
    is $@, "Future::IO->sleep: after: delay must be a number of seconds, not 'x' at " . __FILE__ . " line $line.\n",
        'sleep with a word croaks from the caller\'s line';
    close $fh;
}

# ---- sysread / syswrite ------------------------------------------------------------

sub pair {
    socketpair(my $x, my $y, AF_UNIX, SOCK_STREAM, PF_UNSPEC) or die "socketpair: $!";
    $_->blocking(0) for $x, $y;
    return ($x, $y);
}

{
    my ($x, $y) = pair();
    my $rf = Future::IO->sysread($y, 100);
    ok !$rf->is_ready, 'sysread waits while nothing is there';
    is Future::IO->syswrite($x, 'hello')->get, 5, 'syswrite completes with the byte count';
    is $rf->get, 'hello', 'sysread completes with the bytes';

    my $big = 'y' x (1024 * 1024);
    my $wf = Future::IO->syswrite_exactly($x, $big);
    my $got = Future::IO->sysread_exactly($y, length $big)->get;
    $wf->get;
    is length($got), length($big), 'syswrite_exactly / sysread_exactly of 1 MiB across a socketpair';

    # two readers of one handle: each readiness completes the oldest
    my $r1 = Future::IO->sysread($y, 1);
    my $r2 = Future::IO->sysread($y, 1);
    Future::IO->syswrite($x, 'ab')->get;
    is join('', Future->needs_all($r1, $r2)->get), 'ab', 'two pending sysreads of one handle both complete, in order';

    close $x;
    is_deeply [Future::IO->sysread($y, 10)->get], [], 'sysread at end of file completes empty';
}

{
    # cancelling a read future removes the loop's watcher of the fd
    my ($x, $y) = pair();
    my $f = Future::IO->sysread($y, 10);
    $f->cancel;
    ok !$loop->unwatch($y), 'a cancelled sysread leaves no watcher on the fd';

    my $r = Future::IO->sysread($y, 10);
    my $w = Future::IO::Impl::LinuxEvent->ready_for_write($y);    # not in Future::IO 0.13's front end
    $w->get;
    ok !$r->is_ready, 'read and write futures on one fd: the write one completed alone';
    $r->cancel;
    ok !$loop->unwatch($y), 'with both gone, no watcher is left';

    my $a = Future::IO->sysread($y, 1);
    my $b = Future::IO->sysread($y, 1);
    $a->cancel;
    syswrite $x, 'z';
    is $b->get, 'z', 'cancelling the first of two readers: the second gets the data';
}

# ---- accept / connect ----------------------------------------------------------------

{
    my $listen = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 5, Blocking => 0)
        or die "listen: $!";
    my $port = $listen->sockport;
    my $af = Future::IO->accept($listen);
    my $client = IO::Socket::INET->new(Proto => 'tcp', Blocking => 0) or die "socket: $!";
    my $cf = Future::IO->connect($client, pack_sockaddr_in($port, inet_aton('127.0.0.1')));
    my $server = $af->get;
    $cf->get;
    ok $server, 'accept completes with the accepted socket';
    $server->blocking(0);
    Future::IO->syswrite($client, "ping\n")->get;
    is Future::IO->sysread($server, 10)->get, "ping\n", 'bytes flow from the connected client to the accepted socket';

    close $listen;
    my $c2 = IO::Socket::INET->new(Proto => 'tcp', Blocking => 0) or die "socket: $!";
    my $fail = Future::IO->connect($c2, pack_sockaddr_in($port, inet_aton('127.0.0.1')));
    $fail->await;
    ok $fail->is_failed, 'connect to a closed port fails';
    like scalar($fail->failure), qr/^connect: /, '... with the error';
}

# ---- waitpid ----------------------------------------------------------------------------

{
    my $pid = fork // die "fork: $!";
    if (!$pid) { select undef, undef, undef, 0.05; POSIX::_exit(4) }
    my $f1 = Future::IO->waitpid($pid);
    my $f2 = Future::IO->waitpid($pid);
    my $status = $f1->get;
    ok POSIX::WIFEXITED($status) && POSIX::WEXITSTATUS($status) == 4, 'waitpid completes with the wait status';
    is $f2->get, $status, 'a second waitpid future of the same pid too';
    is waitpid($pid, POSIX::WNOHANG()), -1, 'the child was reaped';

    my $p2 = fork // die;
    if (!$p2) { select undef, undef, undef, 0.05; POSIX::_exit(0) }
    my $c = Future::IO->waitpid($p2);
    $c->cancel;
    is $loop->run_once(0.2), 0, 'a cancelled waitpid: nothing runs when the child exits';
    is waitpid($p2, 0), $p2, '... and the child is left for the caller to reap';

    my $line = __LINE__ + 1;
    eval { Future::IO->waitpid(1) };
    like $@, qr/^Future::IO->waitpid: .*not a child of this process.* at \Q${\ __FILE__}\E line $line\.?\n\z/,
        'waitpid of a process that is not our child croaks from the caller\'s line';
}

# ---- with AnyEvent on the same loop -----------------------------------------------------------

SKIP: {
    skip 'AnyEvent is not installed', 2 unless eval { require AnyEvent; 1 };
    local $ENV{PERL_ANYEVENT_MODEL} = 'LinuxEvent';
    AnyEvent::detect();
    is(AnyEvent::Impl::LinuxEvent->linux_event_loop, $loop, 'AnyEvent loaded later uses the same loop');
    my $cv = AE::cv();
    my $t = AE::timer(0.01, 0, sub { $cv->send('ae') });
    my $f = Future::IO->sleep(0.02)->on_done(sub { $cv->send('future') if !$cv->ready });
    is $cv->recv, 'ae', 'an AnyEvent timer and a Future::IO sleep in one wait';
    $f->get;
}

done_testing;
