#!perl
# ithreads: a loop, a watcher, a waker, a signal and a pid subscription cloned
# into a thread and used there as documented (stop, signal and drain work;
# everything else croaks "another thread"); then the thread is joined,
# detached, exits early, dies, or drops its clones: the parent is unaffected.
use v5.36;
use Config;
BEGIN {
    unless ($Config{useithreads}) {
        print "1..0 # SKIP this perl is built without ithreads\n";
        exit 0;
    }
}
use threads;
use threads::shared;
use Thread::Queue;
use Test::More;

BEGIN { alarm 120 }

use POSIX ();
use IO::Handle;
use Fcntl qw(F_GETFD);
use Linux::Event;
use FindBin;
use lib "$FindBin::Bin/lib";
use LE::Test qw(now have_pidfd new_socketpair run_until);

$SIG{PIPE} = 'IGNORE';
my $FILE = __FILE__;

my $HAVE_PIDFD = have_pidfd();

# The parent's loop, with one of everything.
my $loop  = Linux::Event->new;
my $waker = $loop->waker;
my $wfd   = fileno($waker->fh);
my $woken = 0;
$waker->on_wakeup(sub ($l, $n) { $woken += $n });

my ($x, $y) = new_socketpair();
my $reads = 0;
my $watcher = $loop->watch($x, read => sub ($l, $fh, $w) { sysread($fh, my $b, 100); $reads++ },
    data => { name => 'parent' });

my $timer_fired = 0;
my $timer = $loop->after(60, sub { $timer_fired++ });

my $usr1 = 0;
my $sigsub = $loop->signal('USR1', sub ($l, $s, $c, $d) { $usr1 += $c }, data => [1, 2]);

my $sleeper = fork // die "fork: $!";
if (!$sleeper) { select undef, undef, undef, 60; POSIX::_exit(0) }
my $sleeper_status;
my $pidsub = $HAVE_PIDFD ? $loop->pid($sleeper, sub ($l, $p, $st, $d) { $sleeper_status = $st }) : undef;

my $no_waker_loop = Linux::Event->new;

# What must croak in a thread, and what must work.
my @MUST_CROAK = (
    [ 'run'                  => sub { $loop->run } ],
    [ 'run_once'             => sub { $loop->run_once(0) } ],
    [ 'after'                => sub { $loop->after(0, sub { }) } ],
    [ 'at'                   => sub { $loop->at(0, sub { }) } ],
    [ 'cancel'               => sub { $loop->cancel($timer) } ],
    [ 'watch'                => sub { $loop->watch($y, read => sub { }) } ],
    [ 'unwatch'              => sub { $loop->unwatch($x) } ],
    [ 'signal'               => sub { $loop->signal('HUP', sub { }) } ],
    [ 'pid'                  => sub { $loop->pid($sleeper, sub { }, reap => 0) } ],
    [ 'waker (new)'          => sub { $no_waker_loop->waker } ],
    [ 'watcher enable_read'  => sub { $watcher->enable_read } ],
    [ 'watcher disable_read' => sub { $watcher->disable_read } ],
    [ 'watcher on_read'      => sub { $watcher->on_read(sub { }) } ],
    [ 'watcher on_error'     => sub { $watcher->on_error(undef) } ],
    [ 'watcher oneshot(1)'   => sub { $watcher->oneshot(1) } ],
    [ 'watcher cancel'       => sub { $watcher->cancel } ],
    [ 'signal sub cancel'    => sub { $sigsub->cancel } ],
    [ 'pid sub cancel'       => sub { $pidsub->cancel } ],
    [ 'waker on_wakeup'      => sub { $waker->on_wakeup(sub { }) } ],
    [ 'waker fh'             => sub { $waker->fh } ],
);
@MUST_CROAK = grep { $_->[0] ne 'pid sub cancel' } @MUST_CROAK unless $HAVE_PIDFD;
# Getters: may answer or croak "another thread", never crash.
my @MAY_CROAK = (
    [ 'watcher is_active'    => sub { $watcher->is_active } ],
    [ 'watcher read_enabled' => sub { $watcher->read_enabled } ],
    [ 'watcher fd'           => sub { $watcher->fd } ],
    [ 'watcher data'         => sub { $watcher->data->{name} } ],
    [ 'signal sub is_active' => sub { $sigsub->is_active } ],
    [ 'pid sub is_active'    => sub { $pidsub->is_active } ],
);
@MAY_CROAK = grep { $_->[0] ne 'pid sub is_active' } @MAY_CROAK unless $HAVE_PIDFD;

# Runs in a thread; returns a flat list of results.
sub use_clones () {
    my @out;
    for my $c (@MUST_CROAK, @MAY_CROAK) {
        my ($name, $code) = @$c;
        my $line = __LINE__ + 1;
        my $ok = eval { $code->(); 1 };
        push @out, $name, $ok ? 'NO ERROR' : $@;
    }
    push @out, 'waker signal', (eval { $waker->signal(5) } ? 'ok' : "failed: $@");
    push @out, 'waker drain',  (eval { my $d = $waker->drain; $d == 5 ? 'ok' : "drained $d" } // "failed: $@");
    push @out, 'waker signal 2', (eval { $waker->signal(3) } ? 'ok' : "failed: $@");
    push @out, 'loop stop',    (eval { $loop->stop; 1 } ? 'ok' : "failed: $@");
    return @out;
}

sub check_clone_results ($name, %r) {
    for my $c (@MUST_CROAK) {
        like $r{ $c->[0] } // 'MISSING', qr/another thread/, "$name: $c->[0] croaks 'another thread'";
        like $r{ $c->[0] } // '', qr/ at \Q$FILE\E line \d+(?: thread \d+)?\.$/, "$name: ... from the caller's line";
    }
    for my $c (@MAY_CROAK) {
        my $v = $r{ $c->[0] } // 'MISSING';
        ok $v eq 'NO ERROR' || $v =~ /another thread/, "$name: $c->[0] answers or croaks 'another thread'"
            or diag $v;
    }
    is $r{'waker signal'},   'ok', "$name: \$waker->signal works";
    is $r{'waker drain'},    'ok', "$name: \$waker->drain works (and sees the shared counter)";
    is $r{'waker signal 2'}, 'ok', "$name: \$waker->signal works again";
    is $r{'loop stop'},      'ok', "$name: \$loop->stop works";
}

sub parent_intact ($name) {
    ok $watcher->is_active && $watcher->read_enabled && !$watcher->oneshot,
        "$name: the watcher is active and unchanged";
    is $watcher->data->{name}, 'parent', "$name: its data is intact";
    my $before = $reads;
    syswrite($y, 'ping');
    ok run_until($loop, sub { $reads > $before }), "$name: the watcher fires";
    ok $sigsub->is_active && (!$HAVE_PIDFD || $pidsub->is_active), "$name: the subscriptions are active";
    my $u = $usr1;
    kill USR1 => $$;
    ok run_until($loop, sub { $usr1 > $u }), "$name: the signal subscription delivers";
    ok defined(fcntl($waker->fh, F_GETFD, 0)) && fileno($waker->fh) == $wfd, "$name: the waker fh is open, same fd";
    my $w0 = $woken;
    $waker->signal(2);
    ok run_until($loop, sub { $woken >= $w0 + 2 }), "$name: the waker wakes the loop";
    my $fired = 0;
    $loop->after(0.001, sub { $fired++ });
    ok run_until($loop, sub { $fired }), "$name: a new timer fires";
    is $timer_fired, 0, "$name: the 60 s timer is still pending";
}

# ---------------------------------------------------------------------------
# Joined.
# ---------------------------------------------------------------------------
{
    my $thr = threads->create({ context => 'list' }, \&use_clones);
    my %r = $thr->join;
    check_clone_results('joined thread', %r);
    $woken = 0;
    ok run_until($loop, sub { $woken >= 3 }), 'the parent saw the 3 signalled after the thread drained';
    is $woken, 3, '... exactly 3 (the stop wakeup is not counted)';
    parent_intact('after a joined thread');
}

# The watcher's accessors answer in a thread, from the thread's own copies.
{
    my @got = threads->create({ context => 'list' }, sub {
        (fileno($watcher->fh) // -1, $watcher->fd, $watcher->data->{name}, $watcher->loop == $loop ? 1 : 0);
    })->join;
    is_deeply \@got, [fileno($x), fileno($x), 'parent', 1],
        'in a thread, a watcher\'s fh, fd, data and loop are the thread\'s copies';
    parent_intact('after reading the watcher in a thread');
}

# ---------------------------------------------------------------------------
# Detached; the parent waits for it to finish (and its interpreter to go).
# ---------------------------------------------------------------------------
{
    my $q = Thread::Queue->new;
    threads->create(sub { $q->enqueue(join "\0", use_clones()); return })->detach;
    my $msg = $q->dequeue_timed(30);
    ok defined $msg, 'the detached thread reported';
    check_clone_results('detached thread', split /\0/, $msg // '');
    my $t0 = now();
    select undef, undef, undef, 0.05 while threads->list && now() - $t0 < 10;
    select undef, undef, undef, 0.3;    # its interpreter is torn down after it leaves the list
    parent_intact('after a detached thread ended');
}

# ---------------------------------------------------------------------------
# threads->exit, die in the thread, explicit drop of every clone, a thread
# that outlives the drop, a thread created by a thread (a clone of a clone),
# and a thread created inside one of the loop's callbacks.
# ---------------------------------------------------------------------------
{
    my $thr = threads->create(sub { $waker->signal(1); threads->exit(); return 'not reached' });
    my $ret = $thr->join;
    ok !defined $ret, 'a thread that called threads->exit was joined';
    parent_intact('after threads->exit');

    $thr = threads->create(sub {
        $SIG{__WARN__} = sub { };    # silence "Thread N terminated abnormally"
        $waker->signal(1);
        die "thread died\n";
    });
    $thr->join;
    like $thr->error // '', qr/thread died/, 'a thread that died was joined';
    parent_intact('after a thread died');

    my $go = Thread::Queue->new;
    my $dropped = Thread::Queue->new;
    $thr = threads->create(sub {
        $waker->signal(1);
        undef $_ for $loop, $waker, $watcher, $sigsub, $pidsub, $no_waker_loop;
        $dropped->enqueue(1);
        $go->dequeue_timed(30);
        return 'done';
    });
    is $dropped->dequeue_timed(30), 1, 'a thread dropped all its clones';
    parent_intact('while that thread lives on');
    $go->enqueue(1);
    is $thr->join, 'done', '... then it was joined';
    parent_intact('after that thread was joined');

    $thr = threads->create(sub {
        my $inner = threads->create(sub {
            my $ok = $waker->signal(4) ? 1 : 0;
            $ok &&= !eval { $loop->after(0, sub { }); 1 } && $@ =~ /another thread/ ? 1 : 0;
            return $ok;
        });
        return $inner->join;
    });
    is $thr->join, 1, 'in a thread of a thread, signal works and after croaks "another thread"';
    parent_intact('after a thread of a thread');

    my $cb_thread;
    $loop->after(0, sub ($l) {
        $cb_thread = threads->create(sub {
            my $ok = $waker->signal(1) ? 1 : 0;
            $ok &&= !eval { $l->run_once(0); 1 } && $@ =~ /another thread/ ? 1 : 0;
            return $ok;
        });
    });
    ok run_until($loop, sub { $cb_thread }), 'a thread was created inside a timer callback';
    is $cb_thread->join, 1, 'in it, signal works and run_once croaks "another thread" (not "already running")';
    parent_intact('after a thread created in a callback');
}

# ---------------------------------------------------------------------------
# stop from a clone while the parent is blocked in run.
# ---------------------------------------------------------------------------
{
    my $thr = threads->create(sub { select undef, undef, undef, 0.3; $loop->stop; 'stopped' });
    my $t0 = now();
    $loop->run;
    my $dt = now() - $t0;
    is $thr->join, 'stopped', 'a clone called stop';
    cmp_ok $dt, '<', 5, "the blocked run returned ($dt s)";
    parent_intact('after a cross-thread stop');
}

# ---------------------------------------------------------------------------
# Many short threads, each with every clone, and the pid subscription still
# reports the sleeper afterwards.
# ---------------------------------------------------------------------------
{
    my $bad = 0;
    for (1 .. 50) {
        my $t = threads->create(sub { $waker->signal(1) && !eval { $watcher->cancel; 1 } ? 1 : 0 });
        $bad++ unless $t->join;
    }
    is $bad, 0, '50 more threads: signal works, watcher cancel croaks';
    parent_intact('after 50 more threads');
    kill TERM => $sleeper;
    waitpid($sleeper, 0), $sleeper_status = $? unless $HAVE_PIDFD;
    ok run_until($loop, sub { defined $sleeper_status }, 10), 'the pid subscription reports the sleeper';
    ok POSIX::WIFSIGNALED($sleeper_status // 0), '... killed by a signal';
}

done_testing;
