#!perl
# The frozen dispatch order for one ready fd, with real fds:
#  1. error condition + enabled error callback: only error, then stop;
#     with no (enabled) error callback, error counts as readable + writable;
#  2. hang-up counts as readable;
#  3. read if readable and enabled; then
#  4. write if writable and enabled, unless the read callback cancelled or
#     replaced the watcher.
use v5.36;
BEGIN { alarm 120 }    # watchdog: a hang fails instead of blocking CI
use Test::More;
use IO::Handle;
use Linux::Event;
use FindBin;
use lib "$FindBin::Bin/lib";
use LE::Test qw(now new_pipe new_socketpair same_ref);

$SIG{PIPE} = 'IGNORE';

# The write end of a pipe whose read end is closed: the kernel reports an
# error condition (EPOLLERR) for it, together with EPOLLOUT.
sub broken_pipe_writer () {
    my ($r, $w) = new_pipe();
    close($r) or die "close: $!";
    return $w;
}

# Watch $fh with the handlers named in @dirs (each logs its name and its
# argument count), run one cycle, return the log.
sub one_cycle ($loop, $fh, $dirs, $setup = undef) {
    my @log;
    my %spec;
    for my $d (@$dirs) {
        $spec{$d} = sub { push @log, $d; push @log, "bad-argc:" . scalar(@_) if @_ != 3 };
    }
    my $wt = $loop->watch($fh, %spec);
    $setup->($wt) if $setup;
    $loop->run_once(1);
    $loop->unwatch($fh);
    return \@log;
}

subtest 'error condition with an enabled error callback: error alone' => sub {
    my $loop = Linux::Event->new;

    is_deeply(one_cycle($loop, broken_pipe_writer(), [qw(read write error)]), ['error'],
        'read+write+error handlers: only error is called');
    is_deeply(one_cycle($loop, broken_pipe_writer(), [qw(write error)]), ['error'],
        'write+error handlers: only error is called');
    is_deeply(one_cycle($loop, broken_pipe_writer(), [qw(error)]), ['error'],
        'error handler only: error is called');
    is_deeply(one_cycle($loop, broken_pipe_writer(), [qw(read write error)],
            sub ($wt) { $wt->disable_read; $wt->disable_write }), ['error'],
        'read and write disabled, error enabled: error is called');

    # ABI of the error callback, and it repeats (level-triggered) until handled.
    my $w = broken_pipe_writer();
    my @calls;
    my $wt = $loop->watch($w, write => sub { push @calls, 'write' }, error => sub { push @calls, [@_] });
    $loop->run_once(1);
    is(scalar(@calls), 1, 'one error callback in one cycle');
    is(ref($calls[0]), 'ARRAY', 'it was the error callback');
    is(scalar(@{ ref $calls[0] ? $calls[0] : [] }), 3, 'error callback gets exactly three arguments');
    same_ref($calls[0][0], $loop, 'arg 1 is the loop');
    same_ref($calls[0][1], $w,    'arg 2 is the handle');
    same_ref($calls[0][2], $wt,   'arg 3 is the watcher');
    $loop->run_once(1);
    is(scalar(@calls), 2, 'error condition persists: error callback again on the next cycle');
    ok(!grep({ !ref } @calls), 'never the write callback');
    $wt->cancel;
};

subtest 'error condition without an enabled error callback: readable + writable' => sub {
    my $loop = Linux::Event->new;

    is_deeply(one_cycle($loop, broken_pipe_writer(), [qw(read write)]), [qw(read write)],
        'no error handler: read then write');
    is_deeply(one_cycle($loop, broken_pipe_writer(), [qw(read)]), ['read'],
        'no error handler, read only: error counts as readable');
    is_deeply(one_cycle($loop, broken_pipe_writer(), [qw(write)]), ['write'],
        'no error handler, write only: error counts as writable');
    is_deeply(one_cycle($loop, broken_pipe_writer(), [qw(read write error)], sub ($wt) { $wt->disable_error }),
        [qw(read write)], 'error handler disabled: read then write');
    is_deeply(one_cycle($loop, broken_pipe_writer(), [qw(read write error)], sub ($wt) { $wt->on_error(undef) }),
        [qw(read write)], 'error handler removed with on_error(undef): read then write');
    is_deeply(one_cycle($loop, broken_pipe_writer(), [qw(read write)], sub ($wt) { $wt->disable_read }),
        ['write'], 'no error handler, read disabled: write only');
    is_deeply(one_cycle($loop, broken_pipe_writer(), [qw(read write)], sub ($wt) { $wt->disable_write }),
        ['read'], 'no error handler, write disabled: read only');
    is_deeply(one_cycle($loop, broken_pipe_writer(), [qw(read write error)],
            sub ($wt) { $wt->disable_error; $wt->enable_error }), ['error'],
        'error handler disabled then enabled again: error alone');
};

subtest 'hang-up counts as readable' => sub {
    my $loop = Linux::Event->new;

    my ($r, $w) = new_pipe();
    syswrite($w, 'tail');
    close($w);
    my @log;
    my $wt = $loop->watch($r,
        read  => sub ($l, $fh, $wt) { my $n = sysread($fh, my $buf, 100); push @log, ['read', $n, $buf] },
        error => sub ($l, $fh, $wt) { push @log, ['error'] },
    );
    $loop->run_once(1);
    is_deeply(\@log, [['read', 4, 'tail']], 'writer closed with data pending: read callback gets the data');
    $loop->run_once(1);
    is_deeply($log[1], ['read', 0, ''], 'next cycle: read callback sees EOF');
    ok(!grep({ $_->[0] eq 'error' } @log), 'a hang-up is not an error: error callback not called');
    $wt->cancel;

    my ($r2, $w2) = new_pipe();
    close($w2);
    my @log2;
    my $wt2 = $loop->watch($r2, read => sub ($l, $fh, $wt) {
        my $n = sysread($fh, my $buf, 100);
        push @log2, $n;
        $wt->cancel if defined($n) && $n == 0;
    });
    my $t0 = now();
    $loop->run_once(1);
    is_deeply(\@log2, [0], 'writer closed, no data: read callback called and reads EOF');
    cmp_ok(now() - $t0, '<', 0.5, '... promptly');

    my ($r3, $w3) = new_pipe();
    close($w3);
    my $n3  = 0;
    my $wt3 = $loop->watch($r3, read => sub ($l, $fh, $wt) { $n3++ });
    $wt3->disable_read;
    $loop->run_once(0.05);
    is($n3, 0, 'hang-up with read disabled: nothing dispatched');
    $wt3->enable_read;
    $loop->run_once(1);
    is($n3, 1, 'read enabled again: hang-up dispatched as readable');
    $wt3->cancel;
};

subtest 'read before write when both are ready' => sub {
    my $loop = Linux::Event->new;
    my ($x, $y) = new_socketpair();
    syswrite($y, 'ping');
    is_deeply(one_cycle($loop, $x, [qw(read write)]), [qw(read write)], 'read then write (spec read, write)');
    is_deeply(one_cycle($loop, $x, [qw(write read)]), [qw(read write)], 'read then write (spec write, read)');
    is_deeply(one_cycle($loop, $x, [qw(write error read)]), [qw(read write)],
        'no error condition: error handler not called, read then write');
};

# A socketpair end that is readable and writable at once.
sub ready_both () {
    my ($x, $y) = new_socketpair();
    syswrite($y, 'data');
    return ($x, $y);
}

subtest 'write skipped when the read callback cancelled, replaced or unwatched the watcher' => sub {
    my $loop = Linux::Event->new;

    {
        my ($x, $y) = ready_both();
        my @log;
        my $wt = $loop->watch($x,
            read  => sub ($l, $fh, $wt) { push @log, 'read'; $wt->cancel },
            write => sub ($l, $fh, $wt) { push @log, 'write' },
        );
        $loop->run_once(1);
        is_deeply(\@log, ['read'], 'read cancelled the watcher: no write');
        $loop->run_once(0.05);
        is_deeply(\@log, ['read'], '... and nothing afterwards');
        is($wt->is_active, 0, 'watcher inactive');
    }

    {
        my ($x, $y) = ready_both();
        my @log;
        my $wt = $loop->watch($x,
            read  => sub ($l, $fh, $wt) { push @log, 'read'; $l->unwatch($fh) },
            write => sub ($l, $fh, $wt) { push @log, 'write' },
        );
        $loop->run_once(1);
        is_deeply(\@log, ['read'], 'read unwatched the handle: no write');
        $loop->run_once(0.05);
        is_deeply(\@log, ['read'], '... and nothing afterwards');
    }

    {
        my ($x, $y) = ready_both();
        my @log;
        my $new;
        my $old = $loop->watch($x,
            read => sub ($l, $fh, $wt) {
                push @log, 'old-read';
                $new = $l->watch($fh, read => sub ($l, $fh, $wt) { push @log, 'new-read' });
            },
            write => sub ($l, $fh, $wt) { push @log, 'old-write' },
        );
        $loop->run_once(1);
        is_deeply([grep { /^old/ } @log], ['old-read'], 'read replaced the watcher: old write not called');
        is($old->is_active, 0, 'old watcher inactive');
        is($new && $new->is_active, 1, 'new watcher active');
        @log = ();
        $loop->run_once(1);
        is_deeply(\@log, ['new-read'], 'next cycle: only the new watcher fires (data still unread)');
        $loop->unwatch($x);
    }

    {
        my ($x, $y) = ready_both();
        my @log;
        my $new;
        my $old = $loop->watch($x,
            read => sub ($l, $fh, $wt) {
                push @log, 'old-read';
                $new = $l->watch($fh, write => sub ($l, $fh, $wt) { push @log, 'new-write' });
            },
            write => sub ($l, $fh, $wt) { push @log, 'old-write' },
        );
        $loop->run_once(1);
        $loop->run_once(1) unless grep { $_ eq 'new-write' } @log;
        ok(!grep({ $_ eq 'old-write' } @log), 'replaced by a write watcher: the old write callback never runs');
        ok(scalar(grep { $_ eq 'new-write' } @log), '... the new write callback runs');
        is($log[0], 'old-read', '... after the old read callback');
        $loop->unwatch($x);
    }

    {
        my ($x, $y) = ready_both();
        my @log;
        my $wt = $loop->watch($x,
            read  => sub ($l, $fh, $wt) { push @log, 'read'; $wt->disable_write },
            write => sub ($l, $fh, $wt) { push @log, 'write' },
        );
        $loop->run_once(1);
        is_deeply(\@log, ['read'], 'read disabled write: write not called in the same cycle');
        $loop->unwatch($x);
    }

    {
        my ($x, $y) = ready_both();
        my @log;
        my $wt = $loop->watch($x,
            read  => sub ($l, $fh, $wt) { push @log, 'read'; $wt->on_write(undef) },
            write => sub ($l, $fh, $wt) { push @log, 'write' },
        );
        $loop->run_once(1);
        is_deeply(\@log, ['read'], 'read removed the write handler: write not called');
        $loop->unwatch($x);
    }

    {
        my ($x, $y) = ready_both();
        my @log;
        my $wt = $loop->watch($x,
            read  => sub ($l, $fh, $wt) { push @log, 'read'; $wt->disable_read },
            write => sub ($l, $fh, $wt) { push @log, 'write'; $wt->disable_write },
        );
        $loop->run_once(1);
        is_deeply(\@log, [qw(read write)], 'read callback that does not cancel: write still called');
        $loop->unwatch($x);
    }
};

subtest 'error callback that cancels: nothing else for that fd' => sub {
    my $loop = Linux::Event->new;
    my $w    = broken_pipe_writer();
    my @log;
    $loop->watch($w,
        read  => sub ($l, $fh, $wt) { push @log, 'read' },
        write => sub ($l, $fh, $wt) { push @log, 'write' },
        error => sub ($l, $fh, $wt) { push @log, 'error'; $wt->cancel },
    );
    $loop->run_once(1);
    $loop->run_once(0.05);
    is_deeply(\@log, ['error'], 'error alone, once, then nothing');
};

done_testing;
