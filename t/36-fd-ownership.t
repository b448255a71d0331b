#!perl
# Fd numbers belong to the loop only while it owns them, and nothing the loop
# holds is lost track of: the waker handle's number is free once the user
# closes it; the loop's own descriptors stay reserved; a watcher whose closed
# number an internal descriptor (the waker's or the signals' eventfd, a pidfd) takes is released
# at once (DESTROY canaries), as is everything when the loop is freed; and a
# watcher whose handle was closed is inactive in every method, and never
# registers the unrelated file that reuses its number.
use v5.36;
use Test::More;
use POSIX ();

BEGIN { alarm 60 }

use Linux::Event;
use FindBin;
use lib "$FindBin::Bin/lib";
use LE::Test qw(now run_until new_pipe have_pidfd);

package Canary {
    sub new ($class, $count) { bless { count => $count }, $class }
    sub DESTROY ($self) { ${ $self->{count} }++ }
}

# What descriptor $fd is, as /proc says ('pipe:[...]', 'anon_inode:[eventfd]').
sub fd_kind ($fd) { readlink("/proc/self/fd/$fd") // '' }

# The fds in the epoll sets of this process.
sub epoll_targets () {
    my %t;
    opendir(my $d, '/proc/self/fd') or die "opendir: $!";
    for my $fd (grep { /\A\d+\z/ } readdir $d) {
        next unless fd_kind($fd) =~ /eventpoll/;
        open(my $info, '<', "/proc/self/fdinfo/$fd") or next;
        /^tfd:\s+(\d+)/ and $t{$1}++ for <$info>;
    }
    return \%t;
}

# A handle on descriptor number $fd for a new pipe's read end: ($r, $w).
sub pipe_at ($fd) {
    my ($r, $w) = new_pipe();
    return ($r, $w) if fileno($r) == $fd;
    POSIX::dup2(fileno($r), $fd) // die "dup2: $!";
    close $r;
    open(my $at, '<&=', $fd) or die "fdopen $fd: $!";
    $at->blocking(0);
    return ($at, $w);
}

# ---- the waker's number is the loop's only while its handle is open ------
{
    my $loop  = Linux::Event->new;
    my $waker = $loop->waker;
    my $wfd   = fileno($waker->fh);
    ok !eval { $loop->watch($waker->fh, read => sub { }); 1 }, 'the open waker handle is reserved';
    like $@, qr/reserved/, '... with a message that says so';
    close $waker->fh;
    my ($r, $w) = pipe_at($wfd);
    is fileno($r), $wfd, "a new pipe reuses the waker handle's number $wfd";
    my $reads = 0;
    my $watcher = eval { $loop->watch($r, read => sub ($l, $fh, $wt) { sysread($fh, my $b, 64); $reads++ }) };
    ok $watcher, 'watch on it works once the waker handle is closed' or diag $@;
    syswrite($w, 'x');
    ok run_until($loop, sub { $reads }, 2), '... and it fires';
    my $woken = 0;
    $waker->on_wakeup(sub { $woken++ });
    $waker->signal;
    ok run_until($loop, sub { $woken }, 2), 'the waker still wakes the loop';

}

# ---- an internal descriptor takes a closed watched number ---------------
sub taken_by_internal ($what, $make) {
    my ($kind) = $what =~ /(\w+)\z/;
    my $loop = Linux::Event->new;
    my ($destroyed, $data_gone) = (0, 0);
    my ($r, $w) = new_pipe();
    my $fd = fileno($r);
    {
        my $canary = Canary->new(\$destroyed);
        $loop->watch($r, read => sub { $canary }, data => Canary->new(\$data_gone));
    }
    close $r;    # without unwatch: the lowest free number is now $fd
    my $check = $make->($loop);
    like fd_kind($fd), qr/\[\Q$kind\E\]/, "$what took the closed watched number $fd";
    is $destroyed, 1, "$what: the displaced watcher's callback was released at once";
    is $data_gone, 1, "$what: ... and its data";
    ok $check->(), "$what: the loop's $what works";
}

taken_by_internal('waker eventfd', sub ($loop) {
    my $waker = $loop->waker;
    my $n = 0;
    $waker->on_wakeup(sub { $n++ });
    $waker->signal;
    return sub { run_until($loop, sub { $n }, 2) };
});
taken_by_internal('signal eventfd', sub ($loop) {
    my $n = 0;
    $loop->signal('USR2', sub { $n++ });
    kill 'USR2', $$;
    return sub { my $ok = run_until($loop, sub { $n }, 2); $ok };
});
SKIP: {
    skip 'no pidfd_open on this kernel', 4 unless have_pidfd();
    taken_by_internal('pidfd', sub ($loop) {
        my $kid = fork // die "fork: $!";
        POSIX::_exit(0) unless $kid;
        my $done = 0;
        $loop->pid($kid, sub { $done++ });
        return sub { run_until($loop, sub { $done }, 5) };
    });
}

# ---- undef $loop releases everything it holds -----------------------------
{
    my $loop = Linux::Event->new;
    my %gone;
    my $c = sub ($what) { Canary->new(\$gone{$what}) };
    my ($r, $w) = new_pipe();
    {
        my ($cb, $data, $t, $s, $sd, $wk) = ($c->('watch cb'), $c->('watch data'), $c->('timer'),
            $c->('signal cb'), $c->('signal data'), $c->('on_wakeup'));
        $loop->watch($r, read => sub { $cb }, data => $data);
        $loop->after(100, sub { $t });
        $loop->signal('USR1', sub { $s }, data => $sd);
        $loop->waker->on_wakeup(sub { $wk });
        my $kid = have_pidfd() ? fork // die "fork: $!" : undef;
        if (defined $kid && !$kid) { sleep 10; POSIX::_exit(0) }
        if ($kid) {
            my ($p, $pd) = ($c->('pid cb'), $c->('pid data'));
            $loop->pid($kid, sub { $p }, data => $pd);
            kill 'KILL', $kid;
            waitpid($kid, 0);
        }
    }
    undef $loop;
    my @kinds = ('watch cb', 'watch data', 'timer', 'signal cb', 'signal data', 'on_wakeup',
        (have_pidfd() ? ('pid cb', 'pid data') : ()));
    is $gone{$_}, 1, "undef \$loop: the $_ was released" for @kinds;
}

# ---- a watcher whose handle was closed is inactive everywhere --------------
{
    my $loop = Linux::Event->new;
    my ($r, $w) = new_pipe();
    my $fd = fileno($r);
    my $old = 0;
    my $watcher = $loop->watch($r, read => sub { $old++ }, write => sub { $old++ });
    close $r;
    ok !$watcher->is_active, 'closed handle: inactive';
    is $watcher->read_enabled, 0, 'closed handle: read_enabled says 0';
    is $watcher->write_enabled, 0, 'closed handle: write_enabled says 0';
    for my $setter (qw(enable_read disable_read enable_write disable_write enable_error disable_error)) {
        ok eval { $watcher->$setter; 1 }, "closed handle: $setter does not croak" or diag $@;
    }
    ok eval { $watcher->on_read(sub { $old++ }); $watcher->edge_triggered(1); $watcher->oneshot(1); 1 },
        'closed handle: on_read, edge_triggered and oneshot do not croak' or diag $@;

    # The number is reused by an unrelated handle: the old watcher's setters
    # must not register it.
    my ($other, $ow) = pipe_at($fd);
    $watcher->enable_read;
    $watcher->enable_write;
    ok !epoll_targets()->{$fd}, "the old watcher's setters did not put the new fd $fd in the epoll set";
    syswrite($ow, 'x');
    $loop->run_once(0.1) for 1 .. 3;
    is $old, 0, 'the old callbacks never ran for the unrelated handle';
    my $new = 0;
    $loop->watch($other, read => sub ($l, $fh, $wt) { sysread($fh, my $b, 64); $new++ });
    ok run_until($loop, sub { $new }, 2), 'the new handle can be watched and fires';
    ok !$watcher->is_active, 'the old watcher stays inactive';
}

# ---- the loop's own descriptors stay reserved, whatever handle names them --
# (Last in the file: the handles made here on the loop's numbers are kept to
# the end, so that nothing closes the loop's descriptors under it.)
our (@keep, @kids);
{
    my $loop = Linux::Event->new;
    $loop->waker;
    my $sig = $loop->signal('USR1', sub { });
    my @own;
    SKIP: {
        skip 'no pidfd_open on this kernel', 1 unless have_pidfd();
        my $kid = fork // die "fork: $!";
        if (!$kid) { sleep 10; POSIX::_exit(0) }
        push @kids, $kid;
        $loop->pid($kid, sub { });
        pass 'a child to watch';
    }
    opendir(my $d, '/proc/self/fd') or die;
    @own = sort { $a <=> $b } grep { fd_kind($_) =~ /\[(eventfd|pidfd)\]/ } grep { /\A\d+\z/ } readdir $d;
    ok scalar(@own) >= 2, "the loop's own descriptors are there (@own)";
    for my $fd (@own) {
        open(my $fh, '<&=', $fd) or die "fdopen: $!";
        push @keep, $fh;
        ok !eval { $loop->watch($fh, read => sub { }); 1 }, "the loop's fd $fd (" . fd_kind($fd) . ') is reserved';
        like $@, qr/reserved for the loop's own use/, '... with a message that says so';
    }
    kill 'KILL', @kids;
    waitpid($_, 0) for @kids;
    $sig->cancel;
    undef $loop;
}

done_testing;
