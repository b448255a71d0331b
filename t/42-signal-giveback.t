#!perl
# Signals are given back.  When the last subscription for a signal goes
# (cancel, the loop freed), its mask bit returns to what the program had
# before the first subscription; a signal the program had blocked itself
# stays blocked; one that arrived and is still pending is consumed, not
# handed to the default action.  Children made through the C library's fork
# handlers with nothing resetting the mask after (backticks, piped opens)
# start with the original mask.  Each process reports its own SigBlk from
# /proc/self/status.
use v5.36;
use Test::More;
use POSIX ();

BEGIN { alarm 60 }

use Linux::Event;
use FindBin;
use lib "$FindBin::Bin/lib";
use LE::Test qw(run_until);

my ($INT, $USR1, $USR2) = (POSIX::SIGINT(), POSIX::SIGUSR1(), POSIX::SIGUSR2());

sub bit ($signo) { 1 << ($signo - 1) }

# The blocked mask of the process reading /proc/self/status.
sub sigblk_of ($text) {
    my ($hex) = $text =~ /^SigBlk:\s*([0-9a-f]+)/m or die "no SigBlk in: $text";
    return hex $hex;
}
sub my_sigblk () {
    open(my $fh, '<', '/proc/self/status') or die "status: $!";
    return sigblk_of(do { local $/; <$fh> });
}
sub blocked ($signo) { my_sigblk() & bit($signo) ? 1 : 0 }

my $original = my_sigblk();
is $original & (bit($INT) | bit($USR1) | bit($USR2)), 0, 'INT, USR1 and USR2 start unblocked';

# ---- cancel gives the bit back ---------------------------------------------
{
    my $loop = Linux::Event->new;
    my $sub  = $loop->signal([qw(INT USR1)], sub { });
    is blocked($INT) + blocked($USR1), 2, 'subscribed: INT and USR1 blocked';

    my $qx = `cat /proc/self/status`;
    is sigblk_of($qx), $original, 'a command run by backticks starts with the original mask';
    open(my $pipe, '-|', 'cat', '/proc/self/status') or die "open: $!";
    is sigblk_of(do { local $/; <$pipe> }), $original, 'a command of a piped open starts with the original mask';
    close $pipe;

    ok $sub->cancel, 'cancel';
    is blocked($INT) + blocked($USR1), 0, 'after cancel: INT and USR1 unblocked again';
    my $perl = 0;
    local $SIG{USR1} = sub { $perl++ };
    kill 'USR1', $$;
    run_until($loop, sub { $perl }, 2);
    is $perl, 1, "after cancel: USR1 reaches its %SIG handler again";
}

# ---- a pending signal is consumed, not handed to the default action --------
{
    my $loop = Linux::Event->new;
    my $got  = 0;
    my $sub  = $loop->signal('USR1', sub { $got++ });
    kill 'USR1', $$;    # pending: the loop does not run before the cancel
    $sub->cancel;
    pass 'the pending USR1 was consumed at cancel: the process is still alive';
    is $got, 0, '... and no callback ran for it';
    is blocked($USR1), 0, '... and USR1 is unblocked';
}

# ---- a signal the program blocked itself stays blocked ---------------------
{
    POSIX::sigprocmask(POSIX::SIG_BLOCK(), POSIX::SigSet->new($USR2)) or die "sigprocmask: $!";
    my $loop = Linux::Event->new;
    my $sub  = $loop->signal('USR2', sub { });
    $sub->cancel;
    is blocked($USR2), 1, 'USR2, blocked by the program before subscribing, stays blocked after cancel';
    POSIX::sigprocmask(POSIX::SIG_UNBLOCK(), POSIX::SigSet->new($USR2)) or die "sigprocmask: $!";
}

# ---- replacement keeps the signal; the last one to go gives it back --------
{
    my $loop = Linux::Event->new;
    my $s1 = $loop->signal('USR1', sub { });
    my $s2 = $loop->signal('USR1', sub { });
    ok !$s1->is_active, 'a second subscription replaces the first';
    is blocked($USR1), 1, 'USR1 still blocked while the replacement holds it';
    ok !$s1->cancel, 'cancelling the replaced subscription: false';
    is blocked($USR1), 1, '... and USR1 stays blocked';
    $s2->cancel;
    is blocked($USR1), 0, 'cancelling the replacement gives USR1 back';

    # Two loops: the signal stays blocked until both let go.
    my $other = Linux::Event->new;
    my $a = $loop->signal('USR1', sub { });
    my $b = $other->signal('USR1', sub { });
    $a->cancel;
    is blocked($USR1), 1, 'two loops: still blocked while the other loop subscribes';
    $b->cancel;
    is blocked($USR1), 0, 'two loops: given back when both cancelled';
}

# ---- freeing the loop gives its signals back ------------------------------
{
    my $loop = Linux::Event->new;
    $loop->signal([qw(INT USR1)], sub { });
    kill 'INT', $$;    # pending when the loop goes
    is blocked($INT), 1, 'a loop holding INT';
    undef $loop;
    is blocked($INT) + blocked($USR1), 0, 'undef $loop: INT and USR1 unblocked';
    pass '... and the pending INT was consumed, not acted on';
}

done_testing;
