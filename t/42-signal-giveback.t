#!perl
# Signals are given back.  A subscription catches its signal with the
# loop's handler and never blocks it.  When the last subscription for a
# signal goes (cancel, the loop freed), the disposition the program had
# comes back: its %SIG handler runs again, an ignored signal is ignored
# again, and a signal with its default action (Ctrl-C) ends the process
# again.  A signal that arrived while subscribed and was not dispatched is
# dropped, not handed to that disposition.  The mask is the program's: a
# signal it blocked itself stays blocked, and reaches the loop once the
# program unblocks it.  Each process reports its own masks from
# /proc/self/status.
use v5.36;
use Test::More;
use POSIX ();

BEGIN { alarm 60 }

use Linux::Event;
use FindBin;
use lib "$FindBin::Bin/lib";
use LE::Test qw(run_until run_for sig_masks is_blocked is_caught is_ignored in_child status_text);

my ($INT, $USR1, $USR2, $HUP) = (POSIX::SIGINT(), POSIX::SIGUSR1(), POSIX::SIGUSR2(), POSIX::SIGHUP());

my $original = sig_masks()->{SigBlk};
is is_blocked($INT) + is_blocked($USR1) + is_blocked($USR2), 0, 'INT, USR1 and USR2 start unblocked';

# ---- cancel gives the disposition back -------------------------------------
{
    my $loop = Linux::Event->new;
    my $got  = 0;
    my $sub  = $loop->signal([qw(INT USR1)], sub { $got++ });
    is is_caught($INT) + is_caught($USR1), 2, 'subscribed: INT and USR1 caught';
    is sig_masks()->{SigBlk}, $original, '... and the mask is untouched';
    kill 'USR1', $$;
    ok run_until($loop, sub { $got }, 2), 'USR1 reaches the loop';

    ok $sub->cancel, 'cancel';
    is is_caught($INT) + is_caught($USR1), 0, 'after cancel: INT and USR1 are no longer caught';
    is sig_masks()->{SigBlk}, $original, '... and the mask is what it was';
}

# ---- a %SIG handler set before the subscription works again ---------------
{
    my $perl = 0;
    local $SIG{USR1} = sub { $perl++ };
    my $loop = Linux::Event->new;
    my $got  = 0;
    my $sub  = $loop->signal('USR1', sub { $got++ });
    kill 'USR1', $$;
    ok run_until($loop, sub { $got }, 2), 'subscribed: USR1 goes to the loop';
    is $perl, 0, '... not to the %SIG handler';
    $sub->cancel;
    kill 'USR1', $$;
    run_until($loop, sub { $perl }, 2);
    is $perl, 1, 'after cancel: USR1 reaches its %SIG handler again';
    is $got, 1, '... and no longer the loop';
}

# ---- the default action comes back: Ctrl-C ends the program again ---------
{
    my ($r, $status) = in_child(sub {
        my $loop = Linux::Event->new;
        my $got  = 0;
        my $sub  = $loop->signal('INT', sub { $got++ });
        kill 'INT', $$;
        run_until($loop, sub { $got }, 2);
        LE::Test::report(subscribed => $got);
        $sub->cancel;
        kill 'INT', $$;    # the default action: the child ends here
        select undef, undef, undef, 0.5;
        return (survived => 1);
    });
    is $r->{subscribed}, 1, 'a child subscribed to INT receives it through the loop';
    ok !$r->{survived}, '... and after cancel does not survive an INT';
    is $status & 127, $INT, '... it was ended by SIGINT (' . status_text($status) . ')';
}

# ---- an arrival not yet dispatched is dropped, not acted on ---------------
{
    my $loop = Linux::Event->new;
    my $got  = 0;
    my $sub  = $loop->signal('USR1', sub { $got++ });
    kill 'USR1', $$;    # caught, not dispatched: the loop does not run before the cancel
    $sub->cancel;
    pass 'USR1 arrived and the subscription went: the process is still alive';
    is $got, 0, '... and no callback ran for it';
    my $other = $loop->signal('USR1', sub { $got++ });
    run_for($loop, 0.2);
    is $got, 0, 'a new subscription does not receive the dropped arrival';
    $other->cancel;
}

# ---- a signal the program blocked itself ------------------------------------
{
    POSIX::sigprocmask(POSIX::SIG_BLOCK(), POSIX::SigSet->new($USR2)) or die "sigprocmask: $!";
    my $loop = Linux::Event->new;
    my $got  = 0;
    my $sub  = $loop->signal('USR2', sub { $got++ });
    is is_blocked($USR2), 1, 'USR2, blocked by the program, stays blocked while subscribed';
    kill 'USR2', $$;
    run_for($loop, 0.2);
    is $got, 0, '... so it waits in the kernel while the program blocks it';
    POSIX::sigprocmask(POSIX::SIG_UNBLOCK(), POSIX::SigSet->new($USR2)) or die "sigprocmask: $!";
    ok run_until($loop, sub { $got }, 2), '... and reaches the loop once the program unblocks it';
    POSIX::sigprocmask(POSIX::SIG_BLOCK(), POSIX::SigSet->new($USR2)) or die "sigprocmask: $!";
    $sub->cancel;
    is is_blocked($USR2), 1, 'after cancel USR2 is still blocked, as the program had it';
    POSIX::sigprocmask(POSIX::SIG_UNBLOCK(), POSIX::SigSet->new($USR2)) or die "sigprocmask: $!";
}

# ---- replacement keeps the signal; the last one to go gives it back --------
{
    local $SIG{USR1} = 'IGNORE';
    my $loop = Linux::Event->new;
    my $s1 = $loop->signal('USR1', sub { });
    my $s2 = $loop->signal('USR1', sub { });
    ok !$s1->is_active, 'a second subscription replaces the first';
    is is_caught($USR1), 1, 'USR1 still caught while the replacement holds it';
    ok !$s1->cancel, 'cancelling the replaced subscription: false';
    is is_caught($USR1), 1, '... and USR1 stays caught';
    $s2->cancel;
    is is_caught($USR1), 0, 'cancelling the replacement gives USR1 back';
    is is_ignored($USR1), 1, '... ignored, as the program had it';

    # Two loops: the signal stays caught until both let go.
    my $other = Linux::Event->new;
    my $a = $loop->signal('USR1', sub { });
    my $b = $other->signal('USR1', sub { });
    $a->cancel;
    is is_caught($USR1), 1, 'two loops: still caught while the other loop subscribes';
    $b->cancel;
    is is_caught($USR1), 0, 'two loops: given back when both cancelled';
    is is_ignored($USR1), 1, '... ignored again';
}

# ---- a %SIG assignment while subscribed: the program's choice stays -------
{
    my $loop = Linux::Event->new;
    my ($got, $perl) = (0, 0);
    my $sub = $loop->signal('HUP', sub { $got++ });
    local $SIG{HUP} = sub { $perl++ };    # takes HUP from the loop
    kill 'HUP', $$;
    run_until($loop, sub { $perl }, 2);
    is_deeply [$got, $perl], [0, 1], 'a %SIG handler set while subscribed takes the signal';
    $sub->cancel;
    kill 'HUP', $$;
    run_until($loop, sub { $perl == 2 }, 2);
    is $perl, 2, 'cancel leaves the disposition the program set meanwhile';
    my $again = $loop->signal('HUP', sub { $got++ });
    kill 'HUP', $$;
    ok run_until($loop, sub { $got }, 2), 'a new subscription takes the signal back';
    is $perl, 2, '... from the %SIG handler';
    $again->cancel;
    kill 'HUP', $$;
    run_until($loop, sub { $perl == 3 }, 2);
    is $perl, 3, 'and gives it back to the %SIG handler it found';
}

# ---- a real fault is not swallowed -----------------------------------------
{
    my $SEGV = POSIX::SIGSEGV();
    my ($r, $status) = in_child(sub {
        my $loop = Linux::Event->new;
        my $sub  = $loop->signal('SEGV', sub { });
        my $x = unpack 'p', pack 'J', 8;    # reads address 8: a fault
        return (survived => 1);
    });
    is $status & 127, $SEGV, 'a real SIGSEGV of a subscribed program ends it, it does not repeat ('
        . status_text($status) . ')';
}

# ---- freeing the loop gives its signals back ------------------------------
{
    my $loop = Linux::Event->new;
    $loop->signal([qw(INT USR1)], sub { });
    kill 'INT', $$;    # caught, not dispatched when the loop goes
    is is_caught($INT), 1, 'a loop holding INT';
    undef $loop;
    is is_caught($INT) + is_caught($USR1), 0, 'undef $loop: INT and USR1 are no longer caught';
    pass '... and the INT that arrived was dropped, not acted on';
}

# ---- at most 256 loops hold signal subscriptions at the same time ---------
{
    my (@loops, $err, $line);
    for (1 .. 300) {
        my $l = Linux::Event->new;
        eval { $l->signal('USR2', sub { }); 1 } or do { $err = $@; $line = __LINE__; last };
        push @loops, $l;
    }
    is scalar(@loops), 256, '256 loops subscribe at the same time';
    like $err // '', qr/more than 256 loops subscribe to signals at once at \Q$0\E line $line\b/,
        'the next one croaks, saying why, from the caller\'s line';
    pop @loops;
    my $l = Linux::Event->new;
    my $got = 0;
    ok eval { $l->signal('USR2', sub { $got++ }); 1 }, 'once a loop went, its place is taken again' or diag $@;
    @loops = ();
    kill 'USR2', $$;
    ok run_until($l, sub { $got }, 2), '... and that loop receives its signal';
}

is sig_masks()->{SigBlk}, $original, 'the mask is what it was at the start';
done_testing;
