#!perl
# Children start with what the program had before it subscribed.  While the
# parent subscribes to INT, USR1 and HUP, the children of fork, system,
# backticks, piped open and a bare exec report their own signal masks from
# /proc/self/status: nothing is blocked that the program had not blocked,
# and nothing is caught that the program did not catch; a forked child gets
# the program's %SIG handler and default action back, so INT (Ctrl-C) ends a
# command run by system.  A forked child's signals never wake or count in
# the parent's loop, and the parent's loop still receives what is sent to
# it, also while it is busy (coalesced).
use v5.36;
use Test::More;
use POSIX ();
use File::Temp ();

BEGIN { alarm 90 }

use Linux::Event;
use FindBin;
use lib "$FindBin::Bin/lib";
use LE::Test qw(now run_until run_for sig_masks is_caught in_child report status_text send_at);

my ($INT, $USR1, $HUP, $USR2) = (POSIX::SIGINT(), POSIX::SIGUSR1(), POSIX::SIGHUP(), POSIX::SIGUSR2());
my $RT = POSIX::SIGRTMIN() + 1;
sub bit ($signo) { 1 << ($signo - 1) }
my $OURS = bit($INT) | bit($USR1) | bit($HUP);

# A perl script that prints its own /proc/self/status signal lines to
# $ARGV[0], or to stdout without arguments.
my $script = File::Temp->new(SUFFIX => '.pl');
print $script q{
    open(my $in, '<', '/proc/self/status') or die "status: $!";
    my @lines = grep { /^Sig(Blk|Cgt|Ign)/ } <$in>;
    my $out = \*STDOUT;
    if (@ARGV) { open($out, '>', $ARGV[0]) or die "$ARGV[0]: $!" }
    print $out @lines;
};
close $script;
my $PROBE = $script->filename;
sub probe_masks ($text) {
    $text .= "SigPnd:\t0\nShdPnd:\t0\n";    # sig_masks wants all five
    return sig_masks($text);
}

# The program's own state before any subscription: a %SIG handler for USR1,
# INT and HUP with their default actions, nothing of them blocked.
my $perl_usr1 = 0;
$SIG{USR1} = sub { $perl_usr1++ };
my $before = sig_masks();
is $before->{SigBlk} & $OURS, 0, 'INT, USR1 and HUP start unblocked';
is $before->{SigCgt} & $OURS, bit($USR1), 'the program catches USR1 itself (%SIG), not INT or HUP';

my $loop = Linux::Event->new;
my %got;
my $sub = $loop->signal([qw(INT USR1 HUP USR2), $RT], sub ($l, $signo, $count, $data) { $got{$signo} += $count });
my $now = sig_masks();
is $now->{SigCgt} & $OURS, $OURS, 'subscribed: the process catches INT, USR1 and HUP';
is $now->{SigBlk}, $before->{SigBlk}, '... with the mask it had';

# Each child's masks against the program's: nothing blocked that was not,
# nothing caught by the loop; $caught is what the child itself catches.
sub clean_masks ($m, $what, $caught) {
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    is $m->{SigBlk}, $before->{SigBlk}, "$what: the child starts with the program's mask";
    is $m->{SigCgt} & $OURS, $caught, "$what: ... and catches none of the loop's signals"
        . ($caught ? ' (only its %SIG handler)' : '');
    is $m->{SigIgn} & $OURS, $before->{SigIgn} & $OURS, "$what: ... and ignores what the program ignored";
}

# ---- commands: backticks, piped open, system -------------------------------
{
    my $qx = `$^X $PROBE`;
    clean_masks(probe_masks($qx), 'backticks', 0);

    open(my $pipe, '-|', $^X, $PROBE) or die "open: $!";
    clean_masks(probe_masks(do { local $/; <$pipe> }), 'piped open', 0);
    close $pipe;

    my $tmp = File::Temp->new;
    is system($^X, $PROBE, $tmp->filename), 0, 'system ran the probe';
    open(my $fh, '<', $tmp->filename) or die "$tmp: $!";
    clean_masks(probe_masks(do { local $/; <$fh> }), 'system', 0);

    # What the user notices: Ctrl-C ends the command.
    system($^X, '-e', 'kill INT => $$; sleep 5; exit 0');
    is $? & 127, $INT, 'a command run by system is ended by INT (' . status_text($?) . ')';
}

# ---- fork: the program's dispositions come back ------------------------------
{
    my ($r) = in_child(sub {
        my $m = sig_masks();
        kill 'USR1', $$;
        return (blk => $m->{SigBlk}, cgt => $m->{SigCgt}, ign => $m->{SigIgn}, perl_usr1 => $perl_usr1);
    });
    clean_masks({ SigBlk => $r->{blk}, SigCgt => $r->{cgt}, SigIgn => $r->{ign} }, 'fork', bit($USR1));
    is $r->{perl_usr1}, 1, "fork: the child's USR1 goes to the %SIG handler the program set before subscribing";

    my (undef, $status) = in_child(sub {
        kill 'INT', $$;    # the default action: the child ends here
        select undef, undef, undef, 0.5;
        return (survived => 1);
    });
    is $status & 127, $INT, 'fork: INT ends the child, as before the subscription (' . status_text($status) . ')';

    # The child of a child: a grandchild made by a fork in the child starts
    # clean as well.
    my ($g) = in_child(sub {
        my $gk = `$^X $PROBE`;
        return (gk => probe_masks($gk)->{SigCgt} & $OURS);
    });
    is $g->{gk}, 0, 'fork, then backticks in the child: the command catches none of them';
}

# ---- a forked child's signals stay out of the parent's loop ---------------
{
    %got = ();
    run_for($loop, 0.05);
    %got = ();
    my ($r, $status) = in_child(sub {
        my $n = 0;
        local $SIG{USR1} = sub { $n++ };
        kill $_, $$ for 'USR1', 'USR1', $RT;    # RT: default action ends the child
        select undef, undef, undef, 0.5;
        return (usr1 => $n);
    });
    is $status & 127, $RT, 'the child was ended by the real-time signal, as before the subscription';
    my $t0 = now();
    my $n = $loop->run_once(0.4);
    my $dt = now() - $t0;
    is $n, 0, "the parent's loop ran no callback for the child's signals";
    cmp_ok $dt, '>=', 0.35, sprintf("... and was not woken by them (it slept %.2f s of 0.4)", $dt);
    is_deeply \%got, {}, '... and counted nothing';
    is $perl_usr1, 0, "... nor ran the parent's %SIG handler";
}

# ---- bare exec ----------------------------------------------------------------
# A child subscribes itself (HUP, which it ignored before, and INT), then
# execs the probe without a fork.
sub exec_probe ($cancel_first) {
    pipe(my $rd, my $wr) or die "pipe: $!";
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        close $rd;
        $SIG{HUP} = 'IGNORE';
        my $l = Linux::Event->new;
        my $s = $l->signal([qw(INT HUP)], sub { });
        POSIX::_exit(3) unless is_caught($INT) && is_caught($HUP);
        $s->cancel if $cancel_first;
        open(STDOUT, '>&', $wr) or POSIX::_exit(4);
        exec($^X, $PROBE) or POSIX::_exit(5);
    }
    close $wr;
    my $text = do { local $/; <$rd> };
    waitpid($pid, 0);
    is $?, 0, 'exec: the child subscribed and the probe ran' or diag status_text($?);
    return probe_masks($text // '');
}
{
    my $m = exec_probe(0);
    is $m->{SigBlk}, $before->{SigBlk}, "exec while subscribed: the program's mask";
    is $m->{SigCgt} & $OURS, 0, '... nothing caught (exec resets caught signals)';
    is $m->{SigIgn} & bit($HUP), 0, '... and HUP, ignored before the subscription, has its default action';
    $m = exec_probe(1);
    is $m->{SigBlk}, $before->{SigBlk}, "exec after cancel: the program's mask";
    is $m->{SigIgn} & bit($HUP), bit($HUP), '... and HUP is ignored again, as before the subscription';
}

# ---- the parent's subscription still works, also while it is busy --------
{
    %got = ();
    kill 'INT', $$;
    ok run_until($loop, sub { $got{$INT} }, 2), "after all those children, the parent's loop still receives INT";
    is $perl_usr1, 0, "the parent's %SIG handler for USR1 never ran while subscribed";

    my $waker = $loop->waker;
    my $woken = 0;
    $waker->on_wakeup(sub { $woken++ });
    %got = ();
    my $t0 = now();
    my $kid = send_at(USR2 => $t0 + 0.1, $t0 + 0.2, $t0 + 0.3);
    my $rt  = send_at($RT  => $t0 + 0.15, $t0 + 0.25, $t0 + 0.35);
    1 while now() < $t0 + 0.6;    # busy: the loop does not run
    waitpid($_, 0) for $kid, $rt;
    my $n = $loop->run_once(1);
    is $got{$USR2}, 1, 'USR2 sent three times while the parent was busy: one callback, count 1 (coalesced)';
    is $got{$RT}, 3, 'the real-time signal sent three times: count 3';
    is $n, 2, '... both in the first cycle after';
    is $woken, 0, 'signal arrivals are not wakeups: on_wakeup did not run';
    is $waker->drain, 0, '... and drain counts none of them';
}

$sub->cancel;
my $after = sig_masks();
is $after->{SigCgt} & $OURS, bit($USR1), 'after cancel: only the %SIG handler of USR1 is left';
is $after->{SigBlk}, $before->{SigBlk}, '... and the mask is what it was';
done_testing;
