# IO::Async::Loop::LinuxEvent beyond IO::Async::LoopTests: selection by
# IO_ASYNC_LOOP, streams over real sockets, dying callbacks, fork.
use strict;
use warnings;
use Test::More;

BEGIN {
    eval { require IO::Async::Loop; require IO::Async::Stream; require IO::Async::Listener; 1 }
        or plan skip_all => 'IO::Async is not installed';
}
use IO::Socket::INET;
use POSIX ();
use Time::HiRes qw(time);

my $CLASS = 'IO::Async::Loop::LinuxEvent';

subtest 'IO_ASYNC_LOOP=LinuxEvent' => sub {
    local $ENV{IO_ASYNC_LOOP} = 'LinuxEvent';
    my $loop = IO::Async::Loop->really_new;
    isa_ok($loop, $CLASS, 'IO::Async::Loop->really_new');
    isa_ok($loop->{le}, 'Linux::Event::Loop', 'its engine');
    undef $IO::Async::Loop::ONE_TRUE_LOOP;
};

my $loop = IO::Async::Loop->really_new;    # picks by IO_ASYNC_LOOP or the default...
$loop = $CLASS->new unless ref $loop eq $CLASS;
undef $IO::Async::Loop::ONE_TRUE_LOOP;

subtest 'timers live on the engine heap' => sub {
    my $fired;
    my $t0 = time;
    $loop->watch_time(after => 0.05, code => sub { $fired = time - $t0 });
    ok(!defined $loop->{timequeue}, "IO::Async's Perl time queue is not used");
    $loop->loop_once(2) until $fired;
    cmp_ok($fired, '>=', 0.05, 'fired no earlier than asked');
    my $id = $loop->watch_time(at => time + 0.05, code => sub { $fired = 'cancelled one' });
    $loop->unwatch_time($id);
    my $t1 = time;
    my $n = $loop->loop_once(0.15);
    cmp_ok(time - $t1, '>=', 0.1, 'loop_once with nothing due sleeps its timeout');
    isnt($fired, 'cancelled one', 'an unwatched timer does not fire');
    is($n, 0, 'and loop_once counts no callback');
};

subtest 'Stream echo over TCP through a Listener' => sub {
    my $listener = IO::Async::Listener->new(
        on_stream => sub {
            my (undef, $stream) = @_;
            $stream->configure(on_read => sub {
                my ($s, $buf, $eof) = @_;
                $s->write($$buf) if length $$buf;
                $$buf = '';
                $s->close_when_empty if $eof;
                return 0;
            });
            $loop->add($stream);
        },
    );
    $loop->add($listener);
    my $sock = IO::Socket::INET->new(Listen => 5, LocalAddr => '127.0.0.1', ReuseAddr => 1)
        or die "listen: $!";
    $listener->listen(handle => $sock);
    my $client = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $sock->sockport)
        or die "connect: $!";
    my ($got, $closed) = ('');
    my $payload = join '', map { chr(65 + $_ % 26) } 1 .. 300_000;
    my $stream = IO::Async::Stream->new(
        handle  => $client,
        on_read => sub { my ($s, $buf) = @_; $got .= $$buf; $$buf = ''; 0 },
        on_closed => sub { $closed = 1 },
    );
    $loop->add($stream);
    $stream->write($payload);
    my $deadline = time + 20;
    $loop->loop_once(1) while length($got) < length($payload) && time < $deadline;
    is(length $got, length $payload, '300 kB came back');
    ok($got eq $payload, 'unchanged');
    $stream->close_when_empty;
    $loop->loop_once(1) while !$closed && time < $deadline;
    ok($closed, 'the client stream closed');
    $loop->remove($listener);
};

subtest 'a dying callback propagates, and nothing is lost' => sub {
    my @ran;
    $loop->watch_time(after => 0, code => sub { push @ran, 'a'; die "timer died\n" });
    $loop->watch_time(after => 0, code => sub { push @ran, 'b' });
    my $t0 = time;
    my $ok = eval { $loop->loop_once(1) while @ran < 1; 1 };
    is($@, "timer died\n", 'the exception comes out of loop_once as thrown');
    $loop->loop_once(1) while @ran < 2 && time - $t0 < 5;
    is_deeply(\@ran, ['a', 'b'], 'the other timer of that cycle still fires, once');

    my ($r, $w) = IO::Async::OS->pipepair or die "pipe: $!";
    my $reads = 0;
    $loop->watch_io(handle => $r, on_read_ready => sub { $reads++; sysread($r, my $b, 10); die "io died\n" });
    syswrite($w, 'x');
    eval { $loop->loop_once(1) for 1 .. 3 };
    is($@, "io died\n", 'an I/O callback that dies propagates');
    $loop->unwatch_io(handle => $r, on_read_ready => 1);
    my $later;
    $loop->later(sub { $later = 1 });
    $loop->loop_once(1);
    ok($later, 'the loop is usable afterwards');

    my $stopped;
    $loop->watch_time(after => 0.01, code => sub { die "inside run\n" });
    eval { $loop->run };
    is($@, "inside run\n", 'out of run too');
    $loop->watch_time(after => 0.01, code => sub { $loop->stop('again') });
    is(scalar $loop->run, 'again', 'and run works again');
};

subtest 'child processes: by pid and all of them, with statuses' => sub {
    my @all;
    $loop->watch_process(0 => sub { push @all, [@_] });
    my %own;
    my @kids = map { my $k = fork // die "fork: $!"; $k or POSIX::_exit($_); $k } 3, 4, 5;
    $loop->watch_process($kids[0] => sub { $own{ $_[0] } = $_[1] });
    my $t0 = time;
    $loop->loop_once(0.5) while (@all < 3 || !%own) && time - $t0 < 20;
    is_deeply([sort map { $_->[0] } @all], [sort @kids], "the watch for all pids saw every child") or diag explain \@all;
    is_deeply({ map { $_->[0] => $_->[1] >> 8 } @all },
        { $kids[0] => 3, $kids[1] => 4, $kids[2] => 5 }, 'each with its exit status');
    is(($own{ $kids[0] } // -1) >> 8, 3, 'and the watch of one pid got its status too');
    $loop->unwatch_process(0);
    my $status;
    my $kid = fork // die "fork: $!";
    POSIX::_exit(7) unless $kid;
    $loop->watch_process($kid => sub { $status = $_[1] });
    $t0 = time;
    $loop->loop_once(0.5) until defined $status || time - $t0 > 20;
    is($status >> 8, 7, 'a pid alone is watched (pidfd) and reaped with its status');
};

subtest 'IO_ASYNC_WATCHDOG: a stalled callback is interrupted' => sub {
    local $ENV{IO_ASYNC_WATCHDOG} = 1;
    local $ENV{IO_ASYNC_WATCHDOG_INTERVAL} = 1;
    my $code = q{
        use IO::Async::Loop::LinuxEvent;
        my $loop = IO::Async::Loop::LinuxEvent->new;
        $loop->watch_time(after => 0, code => sub { sleep 10 for 1 .. 3; print "not interrupted\n" });
        $loop->loop_once(1) for 1 .. 3;
        print "returned\n";
    };
    my $t0 = time;
    my $inc = join ' ', map { "-I$_" } grep { !ref } @INC;
    my $out = `$^X $inc -e '$code' 2>&1`;
    my $took = time - $t0;
    isnt($?, 0, 'the program dies');
    like($out, qr/Watchdog timeout/, 'with the watchdog message');
    cmp_ok($took, '<', 25, "after about a second, not the 30 s of sleeping ($took s)");
};

subtest 'on_hangup of a socket' => sub {
    my ($s1, $s2) = IO::Async::OS->socketpair or die "socketpair: $!";
    my ($hup, $read) = (0, 0);
    $loop->watch_io(handle => $s1, on_hangup => sub { $hup++ });
    syswrite($s2, 'data nobody reads');
    $loop->loop_once(0.1) for 1 .. 3;
    is($hup, 0, 'unread data is not a hang-up');
    close $s2;
    $loop->loop_once(0.2);
    is($hup, 1, 'the peer closing is');
    $loop->unwatch_io(handle => $s1, on_hangup => 1);
};

subtest 'post_fork: the loop works in a child' => sub {
    my ($r, $w) = IO::Async::OS->pipepair or die "pipe: $!";
    my $timer_fired;
    $loop->watch_time(after => 0.2, code => sub { $timer_fired = 'parent' });
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        my $code = 1;
        eval {
            my ($got, $t) = ('', 0);
            $loop->watch_io(handle => $r, on_read_ready => sub { sysread($r, $got, 10, length $got) });
            $loop->watch_time(after => 0.05, code => sub { $t = 1 });
            my $deadline = time + 5;
            $loop->loop_once(0.5) while (!$t || $got ne 'ping' || !$timer_fired) && time < $deadline;
            $code = 0 if $got eq 'ping' && $t && $timer_fired eq 'parent';
        };
        POSIX::_exit($code);
    }
    syswrite($w, 'ping');
    waitpid($pid, 0);
    is($? >> 8, 0, 'in the child: I/O, a new timer and the inherited timer all fire');
    $loop->loop_once(0.5) until $timer_fired;
    is($timer_fired, 'parent', 'the parent keeps its timer');
};

done_testing;
