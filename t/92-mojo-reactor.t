# The Mojo::Reactor contract, as Mojolicious checks it for its Poll and EV
# reactors, on Mojo::Reactor::LinuxEvent: real sockets on loopback.
use strict;
use warnings;
use Test::More;

BEGIN {
    $ENV{MOJO_REACTOR} = 'Mojo::Reactor::LinuxEvent';
    eval { require Mojolicious; require Mojo::IOLoop; 1 }
        or plan skip_all => 'Mojolicious is not installed';
}
use IO::Socket::INET;
use POSIX ();
use Time::HiRes qw(time);
use Mojo::Reactor::LinuxEvent;

my $CLASS = 'Mojo::Reactor::LinuxEvent';

# Runs the reactor for $s seconds.
sub run_for {
    my ($reactor, $s) = @_;
    $reactor->timer($s => sub { shift->stop });
    $reactor->start;
}

subtest 'selection' => sub {
    is(Mojo::Reactor->detect, $CLASS, 'detect honours MOJO_REACTOR');
    isa_ok(Mojo::IOLoop->singleton->reactor, $CLASS, 'the IOLoop singleton reactor');
    my ($r1, $r2) = ($CLASS->new, $CLASS->new);
    isa_ok($r2, $CLASS, 'a second reactor');
    isnt($r1->{le}, $r2->{le}, 'each reactor has its own engine loop');
};

subtest 'stops by itself with nothing to watch' => sub {
    my $reactor = $CLASS->new;
    my $ticked;
    $reactor->next_tick(sub { $ticked++ });
    my $t0 = time;
    $reactor->start;
    ok($ticked, 'next_tick ran before start returned');
    $reactor->start;
    $reactor->one_tick;
    cmp_ok(time - $t0, '<', 5, 'start and one_tick return at once when idle');
    ok(!$reactor->is_running, 'not running afterwards');
};

my $reactor = $CLASS->new;
my $listen = IO::Socket::INET->new(Listen => 5, LocalAddr => '127.0.0.1') or die "listen: $!";
my ($readable, $writable) = (0, 0);
my ($client, $server);

subtest 'io on a listening socket' => sub {
    $reactor->io($listen => sub { $_[1] ? $writable++ : $readable++ });
    $reactor->watch($listen, 0, 0)->watch($listen, 1, 1);
    run_for($reactor, 0.05);
    is($readable + $writable, 0, 'nothing before a connection');
    $client = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $listen->sockport)
        or die "connect: $!";
    run_for($reactor, 0.2);
    ok($readable, 'a pending connection makes it readable');
    is($writable, 0, 'a listening socket is never writable');
    $server = $listen->accept or die "accept: $!";
    ok($reactor->remove($listen), 'remove is true the first time');
    ok(!$reactor->remove($listen), 'and false after');
};

subtest 'watch switches the directions' => sub {
    ($readable, $writable) = (0, 0);
    $reactor->io($client => sub { $_[1] ? $writable++ : $readable++ });
    $reactor->again($reactor->timer(0.05 => sub { shift->stop }));
    $reactor->start;
    ok(!$readable && $writable, 'a fresh connection is writable, not readable');
    print $client "hello!\n";
    $client->flush;
    ok($reactor->remove($client), 'client watcher removed');
    my @cases = ([1, 0, 1, 0], [1, 1, 1, 1], [0, 0, 0, 0], [1, 0, 1, 0]);
    $reactor->io($server => sub { $_[1] ? $writable++ : $readable++ });
    for my $c (@cases) {
        my ($r, $w, $want_r, $want_w) = @$c;
        ($readable, $writable) = (0, 0);
        $reactor->watch($server, $r, $w);
        run_for($reactor, 0.05);
        is(!!$readable, !!$want_r, "watch($r, $w): readable is " . ($want_r ? 'seen' : 'not seen'));
        is(!!$writable, !!$want_w, "watch($r, $w): writable is " . ($want_w ? 'seen' : 'not seen'));
    }
    ($readable, $writable) = (0, 0);
    $reactor->io($server => sub { $_[1] ? $writable++ : $readable++ });
    run_for($reactor, 0.05);
    ok($readable && $writable, 'io() again watches both directions');
};

subtest 'timers, recurring, remove, next_tick' => sub {
    my ($timer, $recurring, $tick) = (0, 0, 0);
    $reactor->timer(0 => sub { $timer++ });
    ok($reactor->remove($reactor->timer(0 => sub { $timer += 100 })), 'a timer can be removed');
    my $id = $reactor->recurring(0 => sub { $recurring++ });
    run_for($reactor, 0.05);
    is($timer, 1, 'the one-shot timer fired once, the removed one never');
    cmp_ok($recurring, '>', 1, 'the recurring timer fired repeatedly');

    my $done;
    ($timer, $recurring) = (0, 0);
    $reactor->timer(0.03 => sub { $done = shift->is_running });
    $reactor->one_tick until $done;
    ok($done, 'is_running is true inside one_tick');
    ok($recurring, 'recurring keeps firing under one_tick');
    ok($reactor->remove($id), 'recurring removed');
    ok(!$reactor->remove($id), 'and not removed twice');
    $recurring = 0;
    run_for($reactor, 0.03);
    is($recurring, 0, 'a removed recurring timer stays quiet');

    is($reactor->next_tick(sub { $tick++ }), undef, 'next_tick returns undef');
    my @order;
    for my $i (1 .. 10) { $reactor->next_tick(sub { push @order, $i }) }
    $reactor->timer(0.02 => sub { shift->stop });
    $reactor->start;
    is($tick, 1, 'next_tick ran');
    is_deeply(\@order, [1 .. 10], 'next_tick callbacks run in order');
};

subtest 'again, with and without a new delay' => sub {
    my ($single, $pair, $last, $one, $two) = (0, 0, 0);
    $reactor->timer(0.025 => sub { $single++ });
    $one = $reactor->timer(0.025 => sub {
        $last++ if $single && $pair;
        $pair++ ? shift->stop : shift->again($two);
    });
    $two = $reactor->timer(0.025 => sub {
        $last++ if $single && $pair;
        $pair++ ? shift->stop : shift->again($one);
    });
    $reactor->start;
    is($pair, 2, 'both timers of the pair fired');
    ok($single, 'the single timer fired');
    ok($last, 'the restarted one fired last');

    my $t0 = time;
    my $fired;
    my $id = $reactor->timer(5 => sub { $fired = time - $t0; shift->stop });
    $reactor->again($id, 0.1);
    $reactor->start;
    ok($fired >= 0.1 && $fired < 4, "again with a new delay: fired after $fired s");

    my @at;
    my $rid;
    $rid = $reactor->recurring(0.02 => sub {
        push @at, time;
        my $r = shift;
        $r->again($rid, 0.2) if @at == 1;
        if (@at == 3) { $r->remove($rid); $r->stop }
    });
    $reactor->start;
    cmp_ok($at[2] - $at[1], '>=', 0.19, 'the new delay becomes the period of a recurring timer');

    $id = $reactor->timer(0 => sub { });
    ok($reactor->remove($id), 'removed');
    eval { $reactor->again($id) };
    like($@, qr/Timer not active/, 'again on an inactive timer croaks');
    eval { $reactor->watch($listen, 1, 1) };
    like($@, qr{I/O watcher not active}, 'watch on a removed handle croaks');
    my $closed = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1');
    close $closed;
    eval { $reactor->io($closed => sub { }) };
    like($@, qr/Handle is closed/, 'io on a closed handle croaks');
};

subtest 'reset' => sub {
    $reactor->next_tick(sub { die 'must not run after reset' });
    my $err;
    $reactor->on(error => sub { $err = pop });
    $reactor->reset;
    ok(!$reactor->has_subscribers('error'), 'reset removes event subscribers');
    my $io = 0;
    $reactor->next_tick(sub { shift->stop });
    $reactor->start;
    ok(!$err, 'callbacks of before the reset never ran');

    $writable = 0;
    $reactor->io($_ => sub { ++$writable and shift->reset })->watch($_, 0, 1) for $client, $server;
    $reactor->start;
    is($writable, 1, 'a reset from a callback cancels the other events of that tick');
};

subtest 'concurrent reactors' => sub {
    my $r2 = $CLASS->new;
    my ($t1, $t2) = (0, 0);
    $reactor->recurring(0 => sub { $t1++ });
    $r2->recurring(0 => sub { $t2++ });
    for my $round (1 .. 2) {
        ($t1, $t2) = (0, 0);
        run_for($reactor, 0.02);
        ok($t1 && !$t2, "round $round: only the running reactor fires");
        ($t1, $t2) = (0, 0);
        run_for($r2, 0.02);
        ok(!$t1 && $t2, "round $round: the other one fires alone");
    }
    $reactor->reset;
};

subtest 'errors' => sub {
    my $err;
    $reactor->on(error => sub { $err = pop; shift->stop });
    $reactor->timer(0 => sub { die "timer works!\n" });
    $reactor->start;
    is($err, "Timer failed: timer works!\n", 'a dying timer reaches the error event');

    undef $err;
    $reactor->next_tick(sub { die "tick works!\n" });
    $reactor->start;
    is($err, "Timer failed: tick works!\n", 'a dying next_tick reaches the error event');

    undef $err;
    $reactor->io($client => sub { die "io works!\n" })->watch($client, 0, 1);
    $reactor->start;
    is($err, "I/O watcher failed: io works!\n", 'a dying I/O watcher reaches the error event');
    $reactor->remove($client);

    # A write callback called without asking the kernel (the handle was
    # reported writable before) that dies: the error is reported, and the
    # next queued write callback of the same tick still runs.
    {
        socketpair(my $x, my $y, Socket::AF_UNIX(), Socket::SOCK_STREAM(), 0) or die "socketpair: $!";
        socketpair(my $u, my $v, Socket::AF_UNIX(), Socket::SOCK_STREAM(), 0) or die "socketpair: $!";
        my ($armed, @wrote) = (0);
        for my $h ($x, $u) {
            $reactor->io($h => sub {
                my ($r, $writable) = @_;
                return unless $writable;
                $r->watch($h, 1, 0);
                die "queued works!\n" if $armed && $h == $x;
                push @wrote, $h == $x ? 'x' : 'u';
            })->watch($h, 0, 1);
        }
        $reactor->one_tick while @wrote < 2;              # both reported writable
        ($armed, @wrote, $err) = (1);
        $reactor->watch($_, 1, 1) for $x, $u;            # both queued
        $reactor->one_tick;
        is($err, "I/O watcher failed: queued works!\n", 'a dying queued write callback reaches the error event');
        is_deeply(\@wrote, ['u'], 'and the next queued write callback of that tick still runs');
        $reactor->remove($_) for $x, $u;
    }

    my $after;
    $reactor->timer(0.01 => sub { $after++; shift->stop });
    $reactor->start;
    ok($after, 'the reactor keeps working after errors');

    my $r = $CLASS->new;
    $r->timer(0 => sub { die "nobody listens\n" });
    my $ok = eval { $r->start; 1 };
    ok(!$ok, 'without an error subscriber the error propagates out of start');
    like($@, qr/Timer failed: nobody listens/, 'with the message');
    $after = 0;
    $r->timer(0.01 => sub { $after++ });
    $r->start;
    ok($after, 'and that reactor is usable afterwards');
};

subtest 'a dying I/O callback and the rest of its tick' => sub {
    # Two handles readable in one tick, the first callback to run dies:
    # the error is emitted once, the other callback runs before the loop
    # waits again, and the dying one is called again while its handle
    # stays readable (level-triggered), as with an eval per callback.
    use Socket qw(AF_UNIX SOCK_STREAM PF_UNSPEC);
    my $r = $CLASS->new;
    my (@err, @ran);
    $r->on(error => sub { push @err, pop });
    my @pairs = map { socketpair(my $x, my $y, AF_UNIX, SOCK_STREAM, PF_UNSPEC) or die "socketpair: $!"; [$x, $y] } 1 .. 2;
    my $dying;
    for my $i (0, 1) {
        my $h = $pairs[$i][1];
        $r->io($h => sub {
            push @ran, $i;
            if (!defined $dying) { $dying = $i; die "first dies\n" }
            sysread $h, my $buf, 16;
        })->watch($h, 1, 0);
        syswrite $pairs[$i][0], 'x';
    }
    $r->one_tick until @ran >= 3;
    is_deeply(\@err, ["I/O watcher failed: first dies\n"], 'one error event, with the message');
    is(scalar(grep { $_ != $dying } @ran[0 .. 1]), 1, 'the other handle is dispatched next (the rest of the tick is not lost)');
    is($ran[2], $dying, 'the dying handle is reported again while it stays readable');

    # A write callback queued without the kernel is not called once write
    # interest was switched off again before its turn.
    my ($x, $y) = @{ $pairs[0] };
    my $writes = 0;
    $r->io($x => sub { my ($r, $w) = @_; return unless $w; $writes++; $r->watch($x, 1, 0) })->watch($x, 0, 1);
    $r->one_tick until $writes;                     # reported writable once
    $writes = 0;
    $r->watch($x, 0, 1);                            # queued
    $r->watch($x, 0, 0);                            # and switched off again
    $r->timer(0.02 => sub { shift->stop });
    $r->start;
    is($writes, 0, 'a queued write callback whose interest was switched off is not called');
    $r->remove($_->[1]) for @pairs;
    $r->remove($x);
};

subtest 'recursion' => sub {
    my $r = $CLASS->new;
    my ($outer, $inner) = (0, 0);
    $r->timer(0 => sub { ++$outer and shift->one_tick });
    $r->one_tick;
    is($outer, 1, 'a timer that calls one_tick fires once');

    $r->timer(0 => sub {
        my $r = shift;
        $r->timer(0.02 => sub { $inner++ });
        $r->one_tick until $inner;
    });
    $r->one_tick;
    is($inner, 1, 'one_tick inside a callback dispatches new events');
};

subtest 'one_tick from a callback the engine called' => sub {
    # The engine loop cannot run inside itself: a nested one_tick goes on
    # with everything on a new engine loop.  Nothing may be lost: the
    # other socket's pending byte, a recurring timer, a restarted timer, a
    # next_tick, and the watchers keep working afterwards.
    use Socket qw(AF_UNIX SOCK_STREAM PF_UNSPEC);
    my $r = $CLASS->new;
    socketpair(my $a1, my $a2, AF_UNIX, SOCK_STREAM, PF_UNSPEC) or die "socketpair: $!";
    socketpair(my $b1, my $b2, AF_UNIX, SOCK_STREAM, PF_UNSPEC) or die "socketpair: $!";
    my (%got, $nested, $ticks, $rec, $late);
    my $le = $r->{le};
    $r->io($a2 => sub {
        sysread $a2, my $buf, 16;
        $got{a} .= $buf;
        return if $nested++;
        $r->next_tick(sub { $ticks++ });
        $r->one_tick until $ticks;
        $r->one_tick until $got{b};
    })->watch($a2, 1, 0);
    $r->io($b2 => sub { sysread $b2, my $buf, 16; $got{b} .= $buf })->watch($b2, 1, 0);
    $rec = 0;
    my $rid = $r->recurring(0.01 => sub { $rec++ });
    my $tid = $r->timer(5 => sub { $late = time });
    $r->again($tid, 0.05);
    syswrite $a1, 'x';
    syswrite $b1, 'y';
    my $t0 = time;
    $r->one_tick until $nested;
    isnt($r->{le}, $le, 'the nested one_tick moved to a new engine loop');
    is($ticks, 1, 'next_tick ran inside the nested one_tick');
    is($got{b}, 'y', "the other handle's ready byte was delivered");
    syswrite $a1, 'z';
    syswrite $b1, 'w';
    $r->one_tick until length $got{a} == 2 && length $got{b} == 2;
    is($got{a} . $got{b}, 'xzyw', 'both handles are watched on the new loop');
    $r->one_tick until $late;
    ok($late - $t0 >= 0.05 && $late - $t0 < 4, 'the restarted timer fired, on its new delay');
    my $before = $rec;
    $r->one_tick until $rec > $before;
    ok($rec > $before, 'the recurring timer keeps firing');
    $r->remove($rid);
    is($nested, 2, 'the outer callback ran once, then the second read');
};

subtest 'writing more than the socket buffer holds' => sub {
    # Write interest asked again and again on a writable socket, and a
    # callback that finds the buffer full: every byte arrives, in order.
    use Socket qw(AF_UNIX SOCK_STREAM PF_UNSPEC);
    use Fcntl qw(F_GETFL F_SETFL O_NONBLOCK);
    socketpair(my $x, my $y, AF_UNIX, SOCK_STREAM, PF_UNSPEC) or die "socketpair: $!";
    fcntl($_, F_SETFL, fcntl($_, F_GETFL, 0) | O_NONBLOCK) for $x, $y;
    my $r = $CLASS->new;
    my $data = join '', map { pack 'N', $_ } 1 .. 600_000;    # 2.4 MB
    my ($out, $in, $writes, $full) = ($data, '', 0, 0);
    # The writer writes until the buffer is full, then leaves its write
    # interest on; the reader switches it off and on after every read.
    $r->io($x => sub {
        my ($r, $writable) = @_;
        return unless $writable;
        $writes++;
        while (length $out) {
            my $n = syswrite($x, $out, 65536);
            if (!defined $n) { $full++; return }
            substr($out, 0, $n, '');
        }
        $r->watch($x, 1, 0);
    });
    $r->watch($x, 1, 1);
    $r->io($y => sub {
        my $r = shift;
        sysread($y, $in, 16384, length $in);    # slower than the writer
        $r->watch($x, 1, 0)->watch($x, 1, 1) if length $out;
        $r->stop if length $in == length $data;
    })->watch($y, 1, 0);
    $r->timer(30 => sub { shift->stop });
    $r->start;
    is(length $in, length $data, 'every byte arrived');
    ok($in eq $data, 'in order');
    cmp_ok($full, '>', 0, "some of the $writes write callbacks found the buffer full ($full)");
};

subtest 'again is the first call in a forked child' => sub {
    my $r = $CLASS->new;
    my $fired;
    my $id = $r->timer(3 => sub { $fired = time; shift->stop });
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        my $t0 = time;
        my $ok = eval { $r->again($id, 0.05); $r->start; 1 };
        POSIX::_exit($ok && $fired && $fired - $t0 < 2 ? 0 : 1);
    }
    waitpid($pid, 0);
    is($? >> 8, 0, 'the restarted timer fires on its new, earlier deadline');
    ok($r->remove($id), "the parent's timer is untouched");
};

subtest 'a forked child goes on with the reactor' => sub {
    # As Mojo::Server::Prefork's workers do with the manager's reactor.
    my $r = $CLASS->new;
    pipe(my $rd, my $wr) or die "pipe: $!";
    my ($ticks, $parent_timer) = (0, 0);
    my $pending = $r->timer(0.3 => sub { $parent_timer++ });
    $r->io($rd => sub { sysread($rd, my $buf, 10) });
    $r->watch($rd, 0, 0);
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        my ($got, $tick, $again) = ('', 0, 0);
        my $ok = eval {
            $r->next_tick(sub { $tick++ });
            $r->io($rd => sub { sysread($rd, $got, 10, length $got); shift->stop if $got eq 'ping' });
            my $id = $r->timer(5 => sub { shift->stop });
            $r->again($id, 4);
            $r->start;
            $r->timer(0 => sub { $again++ });
            $r->timer(0.4 => sub { shift->stop });
            $r->start;
            1;
        };
        POSIX::_exit($ok && $got eq 'ping' && $tick && $again && $parent_timer ? 0 : 1);
    }
    syswrite($wr, 'ping');
    waitpid($pid, 0);
    is($? >> 8, 0, 'in the child: next_tick, io, timers, again and the inherited timer work');
    $r->timer(0.5 => sub { shift->stop });
    $r->start;
    is($parent_timer, 1, 'the parent keeps its own timer');
};

subtest 'IOLoop on this reactor' => sub {
    my ($buffer, $server_err, $client_err) = ('');
    my $id = Mojo::IOLoop->server({address => '127.0.0.1'} => sub {
        my ($loop, $stream) = @_;
        $stream->write('test' => sub { shift->write('321') });
        eval { Mojo::IOLoop->start };
        $server_err = $@;
    });
    my $port = Mojo::IOLoop->acceptor($id)->port;
    Mojo::IOLoop->client({address => '127.0.0.1', port => $port} => sub {
        my ($loop, $err, $stream) = @_;
        $stream->on(read => sub {
            $buffer .= $_[1];
            Mojo::IOLoop->singleton->reactor->stop if $buffer eq 'test321';
        });
        eval { Mojo::IOLoop->start };
        $client_err = $@;
    });
    Mojo::IOLoop->timer(10 => sub { Mojo::IOLoop->stop });
    Mojo::IOLoop->singleton->reactor->start;
    is($buffer, 'test321', 'the client read what the server wrote');
    like($server_err, qr/^Mojo::IOLoop already running/, 'start inside start croaks (server)');
    like($client_err, qr/^Mojo::IOLoop already running/, 'start inside start croaks (client)');
    ok(!Mojo::IOLoop->is_running, 'the loop is not running afterwards');
    Mojo::IOLoop->remove($id);
};

done_testing;
