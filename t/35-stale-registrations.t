#!perl
# The loop sleeps when nothing is ready for a callback: after a watched
# handle was closed without unwatch while another descriptor still refers to
# the same open file (a dup, a forked child's copy), and with a watcher whose
# every direction is disabled on a hung-up pipe.  Measured by counting
# run_once cycles and the process's CPU time over a window: a spinning loop
# makes thousands of cycles, a sleeping one a handful.  Level-triggered,
# edge-triggered and oneshot watchers keep working across the remedy.
use v5.36;
use Test::More;
use POSIX ();

BEGIN { alarm 60 }

use Linux::Event;
use FindBin;
use lib "$FindBin::Bin/lib";
use LE::Test qw(now run_until new_pipe new_socketpair);

# run_once(0.25) for $secs: how many cycles it made, and the CPU it used.
sub cycles_in ($loop, $secs) {
    my ($n, $t0, $cpu0) = (0, now(), cpu());
    while (now() - $t0 < $secs) { $loop->run_once(0.25); $n++ }
    return ($n, cpu() - $cpu0);
}

sub cpu () { my ($u, $s) = times; $u + $s }

sub sleeps_ok ($loop, $name) {
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my ($n, $cpu) = cycles_in($loop, 0.5);
    # 0.5 s of 0.25 s waits is 2 or 3 cycles; a spinning loop makes 1e5.
    cmp_ok $n, '<=', 20, "$name: run_once(0.25) sleeps ($n cycles in 0.5 s)";
    cmp_ok $cpu, '<', 0.25, "$name: little CPU over 0.5 s (${cpu}s)";
}

# The other watchers of the loop, of each kind, to check across the remedy.
sub others ($loop) {
    my %o = (fired => { lt => 0, et => 0, os => 0 });
    for my $kind (qw(lt et os)) {
        my ($r, $w) = new_pipe();
        $o{$kind} = [$r, $w];
        $o{"w_$kind"} = $loop->watch($r,
            read => sub ($l, $fh, $wt) {
                $o{fired}{$kind}++;
                return if $kind eq 'os';    # the oneshot leaves its data unread
                1 while sysread($fh, my $buf, 4096);
            },
            edge_triggered => $kind eq 'et',
            oneshot        => $kind eq 'os');
    }
    # The oneshot fires once and is then disarmed, its data still unread.
    syswrite($o{os}[1], 'x');
    run_until($loop, sub { $o{fired}{os} });
    return \%o;
}

sub others_work ($loop, $o, $name) {
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    is $o->{fired}{os}, 1, "$name: the disarmed oneshot watcher stayed disarmed";
    %{ $o->{fired} } = (lt => 0, et => 0, os => 0);
    syswrite($o->{$_}[1], 'y') for qw(lt et);
    ok run_until($loop, sub { $o->{fired}{lt} && $o->{fired}{et} }, 2),
        "$name: level- and edge-triggered watchers still fire";
    $o->{w_os}->enable_read;    # re-arms
    ok run_until($loop, sub { $o->{fired}{os} }, 2), "$name: the oneshot fires again once re-armed";
    is $o->{fired}{os}, 1, "$name: ... once";
}

# A dup keeps the file open: the closed number's registration lingers.
{
    my $loop = Linux::Event->new;
    my $o    = others($loop);
    my ($r, $w) = new_pipe();
    open(my $dup, '<&', $r) or die "dup: $!";
    my $reads = 0;
    my $watcher = $loop->watch($r, read => sub { $reads++ });
    syswrite($w, 'data');    # readable, level-triggered, never read
    ok run_until($loop, sub { $reads }), 'dup: the watcher fires';
    close $r;
    ok !$watcher->is_active, 'dup: inactive once its handle is closed';
    sleeps_ok($loop, 'dup');
    is $reads, 1, 'dup: nothing fired for the closed handle';
    others_work($loop, $o, 'dup');
    ok defined(fileno $dup), 'dup: the duplicate is untouched';
}

# A forked child's copy keeps the socket open.
{
    my $loop = Linux::Event->new;
    my ($x, $y) = new_socketpair();
    pipe(my $hold_r, my $hold_w) or die "pipe: $!";
    my $kid = fork // die "fork: $!";
    if (!$kid) {
        close $hold_w;
        sysread($hold_r, my $b, 1);    # until the parent is done
        POSIX::_exit(0);
    }
    close $hold_r;
    my $reads = 0;
    $loop->watch($x, read => sub { $reads++ });
    syswrite($y, 'data');
    ok run_until($loop, sub { $reads }), 'forked child: the watcher fires';
    close $x;
    sleeps_ok($loop, 'forked child');
    is $reads, 1, 'forked child: nothing fired for the closed handle';
    close $hold_w;
    waitpid($kid, 0);
}

# Cancelled, then closed, while a dup keeps it open (the removal failed
# because the watcher's handle was already closed when it was cancelled).
{
    my $loop = Linux::Event->new;
    my ($r, $w) = new_pipe();
    open(my $dup, '<&', $r) or die "dup: $!";
    my $watcher = $loop->watch($r, read => sub { });
    syswrite($w, 'data');
    close $r;
    $watcher->cancel;
    sleeps_ok($loop, 'cancelled after close');
}

# A child watch ends while a forked child holds a copy of the loop's pidfd.
SKIP: {
    skip 'no pidfd_open on this kernel', 3 unless LE::Test::have_pidfd();
    my $loop = Linux::Event->new;
    pipe(my $go_r, my $go_w) or die "pipe: $!";
    my $watched = fork // die "fork: $!";
    if (!$watched) { close $go_w; sysread($go_r, my $b, 1); POSIX::_exit(0) }
    my $done = 0;
    $loop->pid($watched, sub { $done++ });
    pipe(my $hold_r, my $hold_w) or die "pipe: $!";
    my $holder = fork // die "fork: $!";    # inherits the pidfd
    if (!$holder) { close $go_w; close $hold_w; sysread($hold_r, my $b, 1); POSIX::_exit(0) }
    close $hold_r;
    close $go_w;    # the watched child exits
    ok run_until($loop, sub { $done }, 5), 'pidfd copy: the exit was reported';
    sleeps_ok($loop, 'pidfd copy held by another child');
    close $hold_w;
    waitpid($holder, 0);
}

# Every direction disabled on a hung-up pipe: reading paused, peer gone.
{
    my $loop = Linux::Event->new;
    my ($r, $w) = new_pipe();
    my ($reads, $eof) = (0, 0);
    my $watcher = $loop->watch($r, read => sub ($l, $fh, $wt) {
        $reads++;
        my $n = sysread($fh, my $buf, 10);
        $eof++ if defined $n && $n == 0;
    });
    $watcher->disable_read;
    close $w;
    sleeps_ok($loop, 'hung-up pipe, read disabled');
    is $reads, 0, 'hung-up pipe: the disabled read callback did not run';
    ok $watcher->is_active, 'hung-up pipe: the watcher is still active';
    $watcher->enable_read;
    ok run_until($loop, sub { $eof }, 2), 'hung-up pipe: enabling read delivers the end of file';
    $watcher->cancel;    # it would now be told of the end of file every cycle

    # The same with a write-only watcher whose write is disabled.
    my ($r2, $w2) = new_pipe();
    my $writes = 0;
    my $ww = $loop->watch($w2, write => sub { $writes++ });
    $ww->disable_write;
    close $r2;
    sleeps_ok($loop, 'broken pipe, write disabled');
    is $writes, 0, 'broken pipe: the disabled write callback did not run';
    $ww->enable_write;
    ok run_until($loop, sub { $writes }, 2), 'broken pipe: enabling write runs the write callback';
}

done_testing;
