#!perl
# Handle lifetime: the loop never closes a handle and never keeps one alive.
# A handle closed or dropped without unwatching is purged silently, also when
# the kernel reuses its fd number. The waker's fd is reserved.
use v5.36;
BEGIN { alarm 120 }    # watchdog: a hang fails instead of blocking CI
use Test::More;
use IO::Handle;
use Scalar::Util qw(weaken);
use Linux::Event;
use FindBin;
use lib "$FindBin::Bin/lib";
use LE::Test qw(now new_pipe fd_open same_ref run_until croaks pipe_works);

$SIG{PIPE} = 'IGNORE';

package Counted::Handle {
    our @ISA = ('IO::Handle');
    our $destroyed = 0;
    sub DESTROY ($self) { $destroyed++ }
}

package Guard {
    sub new ($class, $counter) { bless { c => $counter }, $class }
    sub DESTROY ($self) { ${ $self->{c} }++ }
}

subtest 'the loop never closes a handle' => sub {
    my $loop = Linux::Event->new;
    my ($r, $w) = new_pipe();
    my $cb = sub ($l, $fh, $wt) { 1 while sysread($fh, my $buf, 1000) };

    $loop->watch($r, read => $cb);
    $loop->watch($w, write => sub ($l, $fh, $wt) { $wt->disable_write });
    $loop->run_once(1);
    ok($loop->unwatch($r), 'unwatch read end');
    ok($loop->unwatch($w), 'unwatch write end');
    pipe_works($r, $w, 'after unwatch', write_end => 1);

    my $wt = $loop->watch($r, read => $cb);
    $wt->cancel;
    pipe_works($r, $w, 'after cancel', write_end => 1);

    $loop->watch($r, read => $cb);
    $loop->watch($r, read => $cb);    # replacement
    pipe_works($r, $w, 'after replacement', write_end => 1);
    $loop->unwatch($r);

    {
        my $l2 = Linux::Event->new;
        $l2->watch($r, read => $cb);
        $l2->watch($w, write => sub ($l, $fh, $wt) { $wt->disable_write });
        syswrite($w, 'x');
        $l2->run_once(1);
    }
    pipe_works($r, $w, 'after the loop was destroyed', write_end => 1);

    my $wt2 = $loop->watch($r, read => $cb);
    undef $loop;
    pipe_works($r, $w, 'after dropping the loop while a watcher object is held', write_end => 1);
};

subtest 'watch in void context keeps watching (the loop owns the watcher)' => sub {
    my $loop = Linux::Event->new;
    my ($r, $w) = new_pipe();
    my $n = 0;
    $loop->watch($r, read => sub ($l, $fh, $wt) { $n++; 1 while sysread($fh, my $buf, 100) });
    syswrite($w, 'x');
    $loop->run_once(1);
    is($n, 1, 'a watcher whose object was discarded still fires');
    ok($loop->unwatch($r), 'and can be unwatched');
};

subtest 'the loop does not keep a handle alive' => sub {
    my $loop = Linux::Event->new;
    my $fired = 0;
    my $rh = Counted::Handle->new;
    my $wh = IO::Handle->new;
    pipe($rh, $wh) or die "pipe: $!";
    $wh->autoflush(1);
    my $fd = fileno($rh);
    ok(fd_open($fd), 'pipe read end open');
    $loop->watch($rh, read => sub ($l, $fh, $wt) { $fired++ });
    $loop->run_once(0);
    my $weak = $rh;
    weaken($weak);
    $Counted::Handle::destroyed = 0;
    undef $rh;
    is($Counted::Handle::destroyed, 1, 'dropping the last user reference destroyed the handle');
    ok(!defined($weak), 'no strong reference remains');
    ok(!fd_open($fd), 'its fd was closed (by perl)');
    syswrite($wh, 'x');
    $loop->run_once(0.1);
    $loop->run_once(0.05);
    is($fired, 0, 'nothing fires for the dropped handle');

    # Same with a plain glob reference.
    my ($r2, $w2) = new_pipe();
    my $fd2  = fileno($r2);
    $loop->watch($r2, read => sub ($l, $fh, $wt) { $fired++ });
    my $weak2 = $r2;
    weaken($weak2);
    undef $r2;
    ok(!defined($weak2), 'plain glob ref: the loop does not keep it alive');
    ok(!fd_open($fd2), '... its fd is closed');
    syswrite($w2, 'x');
    $loop->run_once(0.1);
    is($fired, 0, '... nothing fires for it');
};

subtest 'callbacks and data are released on unwatch, cancel, replacement and loop destruction' => sub {
    my $loop = Linux::Event->new;
    my ($r, $w) = new_pipe();

    my $d = 0;
    {
        my $g = Guard->new(\$d);
        $loop->watch($r, read => sub ($l, $fh, $wt) { $g }, data => Guard->new(\$d));
    }
    is($d, 0, 'a watched handle keeps its callbacks and data');
    $loop->unwatch($r);
    is($d, 2, 'unwatch released callback and data');

    $d = 0;
    {
        my $g  = Guard->new(\$d);
        my $wt = $loop->watch($r, read => sub ($l, $fh, $wt) { $g });
        $wt->cancel;
    }
    is($d, 1, 'cancel released the callback');

    $d = 0;
    {
        my $g = Guard->new(\$d);
        $loop->watch($r, read => sub ($l, $fh, $wt) { $g });
    }
    $loop->watch($r, read => sub ($l, $fh, $wt) { });
    is($d, 1, 'replacement released the old callback');
    $loop->unwatch($r);

    $d = 0;
    {
        my $l2 = Linux::Event->new;
        my $g  = Guard->new(\$d);
        $l2->watch($r, read => sub ($l, $fh, $wt) { $g });
    }
    is($d, 1, 'destroying the loop released the callback');
};

subtest 'closed without unwatch: purged; fd number reused by a new pipe' => sub {
    my $loop = Linux::Event->new;
    my ($r1, $w1) = new_pipe();
    my $old = 0;
    my $wt1 = $loop->watch($r1, read => sub ($l, $fh, $wt) { $old++ });
    $loop->run_once(0);
    my $fd = fileno($r1);
    close($r1);
    close($w1);
    my ($r2, $w2) = new_pipe();
    is(fileno($r2), $fd, 'the kernel reused the fd number for the new pipe');
    syswrite($w2, 'new data');
    $loop->run_once(0.1);
    $loop->run_once(0.05);
    is($old, 0, 'the old callback does not fire for the new handle on the reused number');

    my @got;
    my $wt2 = $loop->watch($r2, read => sub ($l, $fh, $wt) {
        my $n = sysread($fh, my $buf, 100);
        push @got, [$fh, $buf] if $n;
    });
    isa_ok($wt2, 'Linux::Event::Watcher', 'watching the new handle on that number');
    $loop->run_once(1);
    is(scalar(@got), 1, 'the new watcher fires');
    same_ref($got[0][0], $r2, '... with the new handle');
    is($got[0][1], 'new data', '... and reads its data');
    is($old, 0, 'old callback still never fired');
    is($wt1->is_active, 0, 'old watcher is inactive');

    eval { $wt1->cancel };
    ok(!$@, 'cancel on the purged watcher does not croak');
    is($wt2->is_active, 1, 'cancel on the purged watcher does not remove the new one');
    syswrite($w2, 'more');
    $loop->run_once(1);
    is(scalar(@got), 2, 'the new watcher still fires');
    is($old, 0, 'old callback never fired');
    ok($loop->unwatch($r2), 'unwatch the new handle');
};

subtest 'dropped without unwatch: purged; fd number reused by a new pipe' => sub {
    my $loop = Linux::Event->new;
    my ($r1, $w1) = new_pipe();
    my $old = 0;
    $loop->watch($r1, read => sub ($l, $fh, $wt) { $old++ });
    syswrite($w1, 'old data');
    $loop->run_once(1);
    is($old, 1, 'old watcher fired once while its handle lived');
    my $fd = fileno($r1);
    undef $r1;
    undef $w1;
    ok(!fd_open($fd), 'dropping the handle closed its fd');
    my ($r2, $w2) = new_pipe();
    is(fileno($r2), $fd, 'the kernel reused the fd number for the new pipe');
    syswrite($w2, 'new data');
    $loop->run_once(0.1);
    $loop->run_once(0.05);
    is($old, 1, 'the old callback does not fire again');

    my $new = 0;
    my $got = '';
    $loop->watch($r2, read => sub ($l, $fh, $wt) { $new++; sysread($fh, my $buf, 100); $got .= $buf });
    $loop->run_once(1);
    is($new, 1, 'watching the new handle on the reused number works');
    is($got, 'new data', '... and reads its data');
    is($old, 1, 'old callback never fired again');
};

subtest 'closed without unwatch while its file stays open elsewhere (dup): stale events ignored' => sub {
    my $loop = Linux::Event->new;
    my ($r1, $w1) = new_pipe();
    open(my $dup, '<&', $r1) or die "dup: $!";    # keeps the open file description alive
    my $old = 0;
    $loop->watch($r1, read => sub ($l, $fh, $wt) { $old++ });
    $loop->run_once(0);
    my $fd = fileno($r1);
    close($r1);
    my ($r2, $w2) = new_pipe();
    is(fileno($r2), $fd, 'the kernel reused the fd number for the new pipe');
    syswrite($w1, 'old pipe data');    # the old file description becomes readable
    $loop->run_once(0.1);
    is($old, 0, 'old callback does not fire for its still-open file description');

    my ($new, $got) = (0, '');
    my $wt2 = $loop->watch($r2, read => sub ($l, $fh, $wt) {
        $new++;
        my $n = sysread($fh, my $buf, 100);
        $got .= $buf if $n;
    });
    $loop->run_once(0.1) for 1 .. 3;
    is($old, 0, 'old callback still never fired');
    is($new, 0, 'the new watcher is not called for events of the old file description');
    syswrite($w2, 'fresh');
    run_until($loop, sub { length $got });
    is($got, 'fresh', 'the new watcher fires for its own data');
    is($old, 0, 'old callback never fired');
    $loop->unwatch($r2);
    close($dup);
};

subtest "watching the waker's fh croaks" => sub {
    my $loop  = Linux::Event->new;
    my $waker = $loop->waker;
    my $wfh   = $waker->fh;
    ok(defined(fileno $wfh), 'waker fh has an fd');
    my $e = croaks(sub { $loop->watch($wfh, read => sub ($l, $fh, $wt) { }) }, qr/reserved/i, 'watch($waker->fh)');
    like($e, qr/on_wakeup/, '... and points to on_wakeup');

    # The internal watcher is intact: a signal still wakes a blocking run_once.
    my @wake;
    $waker->on_wakeup(sub { push @wake, [@_] });
    $waker->signal;
    my $t0 = now();
    $loop->run_once(5);
    cmp_ok(now() - $t0, '<', 2, 'signal still wakes the loop');
    is(scalar(@wake), 1, 'on_wakeup called once');
    is($wake[0][1], 1, '... with the count') if @wake;
};

done_testing;
