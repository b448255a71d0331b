use v5.36;
use Test::More;
use POSIX ();
use Scalar::Util qw(refaddr blessed);

# Watchdog: a hang is a failure, never a pass. SIGALRM is never subscribed
# in this file, so the watchdog always works.
BEGIN { alarm 120 }

use Linux::Event;
use FindBin;
use lib "$FindBin::Bin/lib";
use LE::Test qw(now run_until run_for is_blocked is_caught is_ignored croaks_here);

my $FILE = __FILE__;

my %SIGNO = (
    HUP  => POSIX::SIGHUP(),
    USR1 => POSIX::SIGUSR1(),
    USR2 => POSIX::SIGUSR2(),
    TERM => POSIX::SIGTERM(),
    CHLD => POSIX::SIGCHLD(),
    ALRM => POSIX::SIGALRM(),
);
# A real-time signal: SIGRTMIN+1 (glibc reserves the first kernel RT signals).
my $RT = POSIX::SIGRTMIN() + 1;
cmp_ok $RT, '>', 31,  "real-time signal number $RT is a real-time signal";
cmp_ok $RT, '<=', POSIX::SIGRTMAX(), "real-time signal $RT <= SIGRTMAX";

# The program ignores the test signals itself: a cancelled subscription gives
# its signal back, and the checks that such a signal then reaches no loop
# callback must not end the test by the default action.
$SIG{$_} = 'IGNORE' for qw(HUP USR1 USR2 TERM);
$SIG{"NUM$RT"} = 'IGNORE';

sub is_pending ($signo) {
    my $set = POSIX::SigSet->new;
    POSIX::sigpending($set) // die "sigpending: $!";
    return $set->ismember($signo) ? 1 : 0;
}

# The loop never blocks a signal, so nothing of ours is ever left pending in
# the kernel: a signal sent after its subscription went is acted on at once
# (ignored, as the program set it above), and one sent while subscribed is
# caught at once.
sub none_pending () {
    my @left = grep { is_pending($_) } (values(%SIGNO), $RT);
    ok !@left, 'nothing of the test signals is pending in the kernel' or diag "still pending: @left";
}

# The loops' signal descriptors (eventfds: no waker is made in this file).
sub eventfd_count () {
    my $n = 0;
    opendir my $dh, '/proc/self/fd' or die "opendir /proc/self/fd: $!";
    for my $fd (readdir $dh) {
        next unless $fd =~ /\A\d+\z/;
        my $target = readlink "/proc/self/fd/$fd" // next;
        $n++ if $target =~ /\[eventfd\]/;
    }
    return $n;
}

my $loop = Linux::Event->new;

# ---------------------------------------------------------------------------
# Return value: a subscription object with cancel and is_active.
# ---------------------------------------------------------------------------
{
    my $sub = $loop->signal('USR1', sub { });
    ok blessed($sub), 'signal() returns an object';
    can_ok $sub, qw(cancel is_active);
    isa_ok $sub, 'Linux::Event::Signal::Subscription', 'the subscription';
    ok $sub->is_active, 'new subscription is active';
    ok $sub->cancel, 'cancel: true the first time';
    ok !$sub->is_active, 'inactive after cancel';
    ok !$sub->cancel, 'cancel: false the second time';
    ok !$sub->cancel, 'cancel: false the third time';
}

# ---------------------------------------------------------------------------
# The signal eventfd is made on first use, one per loop; subscribed signals
# are caught by the loop's handler, never blocked.
# ---------------------------------------------------------------------------
my @keep_loops;    # loops kept alive to the end
{
    my $before = eventfd_count();
    my $a = Linux::Event->new;
    my $b = Linux::Event->new;
    push @keep_loops, $a, $b;
    is eventfd_count(), $before, 'no signal eventfd before the first signal() call';
    my $s1 = $a->signal('USR2', sub { });
    is eventfd_count(), $before + 1, 'first signal() on a loop makes one eventfd';
    my $s2 = $a->signal('HUP', sub { });
    my $s3 = $a->signal([qw(TERM CHLD)], sub { });
    is eventfd_count(), $before + 1, 'more signal() calls on the same loop: still one eventfd';
    my $s4 = $b->signal('USR2', sub { });
    is eventfd_count(), $before + 2, 'a second loop has its own eventfd';
    for my $name (qw(USR2 HUP TERM CHLD)) {
        is is_caught($SIGNO{$name}), 1, "SIG$name is caught while subscribed";
        is is_blocked($SIGNO{$name}), 0, "... and not blocked";
    }
    $s1->cancel;
    is is_caught($SIGNO{USR2}), 1, 'SIGUSR2 still caught: the other loop still subscribes to it';
    $_->cancel for $s2, $s3, $s4;
    cmp_ok eventfd_count(), '<=', $before + 2, 'cancelling does not multiply eventfds';
}
for my $name (qw(USR1 USR2 HUP TERM CHLD)) {
    is is_caught($SIGNO{$name}), 0, "SIG$name is no longer caught once its last subscription is cancelled";
    is is_blocked($SIGNO{$name}), 0, "SIG$name was never blocked";
}
is is_ignored($SIGNO{$_}), 1, "SIG$_ is ignored again, as the program set it before subscribing"
    for qw(USR1 USR2 HUP TERM);
is is_ignored($SIGNO{CHLD}), 0, 'SIGCHLD has its default action again';
is is_blocked($SIGNO{ALRM}), 0, 'SIGALRM (never subscribed) is not blocked';

# ---------------------------------------------------------------------------
# Argument croaks, from the caller's line.
# ---------------------------------------------------------------------------
{
    my $ok = eval { $loop->signal('FOO', sub { }); 1 }; my $line = __LINE__;
    ok !$ok, "unknown signal name croaks";
    croaks_here $@, qr/unknown signal 'FOO'/, $line, "signal('FOO')";
}
{
    my $ok = eval { $loop->signal('SIGFOO', sub { }); 1 }; my $line = __LINE__;
    ok !$ok, "unknown signal name with SIG prefix croaks";
    croaks_here $@, qr/unknown signal '(?:SIG)?FOO'/, $line, "signal('SIGFOO')";
}
{
    my $ok = eval { $loop->signal(['USR1', 'BOGUS'], sub { }); 1 }; my $line = __LINE__;
    ok !$ok, "unknown signal name inside an array ref croaks";
    croaks_here $@, qr/unknown signal 'BOGUS'/, $line, "signal(['USR1', 'BOGUS'])";
}
{
    my $ok = eval { $loop->signal('USR1x', sub { }); 1 }; my $line = __LINE__;
    ok !$ok, "name with trailing junk croaks";
    croaks_here $@, qr/unknown signal '(?:SIG)?USR1x'/i, $line, "signal('USR1x')";
}
for my $case (
    [undef,  'undef signal'],
    ['',     'empty signal name'],
    [0,      'signal number 0'],
    [-1,     'negative signal number'],
    [65,     'signal number 65 (above SIGRTMAX)'],
    ['KILL',  'SIGKILL (cannot be caught or blocked)'],
    [POSIX::SIGSTOP(), 'SIGSTOP by number (cannot be caught or blocked)'],
) {
    my ($arg, $name) = @$case;
    my $ok = eval { $loop->signal($arg, sub { }); 1 }; my $line = __LINE__;
    ok !$ok, "$name croaks";
    like $@, qr/ at \Q$FILE\E line $line\.?\n?\z/, "$name: reported at the caller's line";
}
for my $case (
    [undef,        'undef callback'],
    ['main::foo',  'callback given as a string'],
    [[],           'callback given as an array ref'],
) {
    my ($cb, $name) = @$case;
    my $ok = eval { $loop->signal('USR1', $cb); 1 }; my $line = __LINE__;
    ok !$ok, "$name croaks";
    like $@, qr/ at \Q$FILE\E line $line\.?\n?\z/, "$name: reported at the caller's line";
}
{
    my $ok = eval { $loop->signal('USR1'); 1 }; my $line = __LINE__;
    ok !$ok, 'missing callback croaks';
    like $@, qr/ at \Q$FILE\E line $line\.?\n?\z/, "missing callback: reported at the caller's line";
}
{
    my $ok = eval { $loop->signal('USR1', sub { }, bogus => 1); 1 }; my $line = __LINE__;
    ok !$ok, 'unknown option croaks (never silently ignored)';
    croaks_here $@, qr/bogus/, $line, 'signal(..., bogus => 1)';
}

# ---------------------------------------------------------------------------
# Names with/without SIG, any case, numbers (also as strings), all map to the
# right signal: a real kill to self arrives with that signal number.
# ---------------------------------------------------------------------------
none_pending();
for my $case (
    ['USR1',     'USR1'],
    ['SIGUSR1',  'USR1'],
    ['usr1',     'USR1'],
    ['sigusr1',  'USR1'],
    ['SigUsr1',  'USR1'],
    ['Usr2',     'USR2'],
    ['sigUSR2',  'USR2'],
    ['HUP',      'HUP'],
    ['SIGhup',   'HUP'],
    ['term',     'TERM'],
    ['SIGTERM',  'TERM'],
    ['chld',     'CHLD'],
    ['SIGCHLD',  'CHLD'],
    [$SIGNO{USR1},      'USR1'],
    [$SIGNO{TERM},      'TERM'],
    ["$SIGNO{USR2}",    'USR2'],
    [' usr1 ',          'USR1'],
    ["\tSIGTERM\n",     'TERM'],
    [" $SIGNO{USR2} ",  'USR2'],
) {
    my ($spec, $name) = @$case;
    my $want = $SIGNO{$name};
    my @got;
    my $sub = eval { $loop->signal($spec, sub { push @got, [@_] }) };
    ok $sub, "signal('$spec') accepted" or do { diag $@; next };
    kill $want, $$;
    ok run_until($loop, sub { @got }), "signal('$spec'): kill SIG$name to self is delivered";
    is scalar(@got), 1, "signal('$spec'): one callback";
    is $got[0][1], $want, "signal('$spec'): callback gets signo $want (SIG$name)" if @got;
    is $got[0][2], 1, "signal('$spec'): count 1" if @got;
    ok $sub->cancel, "signal('$spec'): cancel true";
}

# ---------------------------------------------------------------------------
# Array refs of mixed specs: one subscription for all of them.
# ---------------------------------------------------------------------------
none_pending();
{
    my @got;
    my $sub = $loop->signal(['hup', 'SIGUSR2', $SIGNO{USR1}, "$SIGNO{TERM}"], sub { push @got, $_[1] });
    ok $sub->is_active, 'array-ref subscription is active';
    kill $SIGNO{$_}, $$ for qw(TERM USR2 USR1 HUP);
    ok run_until($loop, sub { @got >= 4 }), 'all four signals of the array ref delivered';
    is_deeply [sort { $a <=> $b } @got], [sort { $a <=> $b } @SIGNO{qw(HUP USR1 USR2 TERM)}],
        'each signal of the array ref once, with its own signo';
    ok $sub->cancel, 'cancel on the array-ref subscription: true';
    ok !$sub->is_active, 'array-ref subscription inactive after cancel';
    ok !$sub->cancel, 'cancel again: false';
    @got = ();
    is is_caught($SIGNO{$_}), 0, "SIG$_ no longer caught after cancel (given back to the program)"
        for qw(HUP USR1 USR2 TERM);
    my %perl;
    local @SIG{qw(HUP USR1 USR2 TERM)} = map { my $n = $_; sub { $perl{$n}++ } } qw(HUP USR1 USR2 TERM);
    kill $SIGNO{$_}, $$ for qw(TERM USR2 USR1 HUP);
    run_until($loop, sub { keys %perl == 4 }, 2);
    is scalar(@got), 0, 'cancel removed every signal of the array ref';
    is_deeply [sort keys %perl], [sort qw(HUP USR1 USR2 TERM)], '... and they reach their %SIG handlers again';
}

# ---------------------------------------------------------------------------
# Callback ABI: exactly ($loop, $signo, $count, $data).
# ---------------------------------------------------------------------------
none_pending();
{
    my $data = { tag => 'payload' };
    my @calls;
    my $sub = $loop->signal('USR1', sub { push @calls, [@_] }, data => $data);
    kill 'USR1', $$;
    ok run_until($loop, sub { @calls }), 'USR1 delivered (with data)';
    is scalar(@calls), 1, 'one call';
    my $c = $calls[0] // [];
    is scalar(@$c), 4, 'callback gets exactly 4 arguments';
    is refaddr($c->[0]), refaddr($loop), 'arg 0 is the loop';
    is $c->[1], $SIGNO{USR1}, 'arg 1 is the signal number';
    is $c->[2], 1, 'arg 2 is the count (1)';
    is refaddr($c->[3]), refaddr($data), 'arg 3 is the data value, the same reference';
    $sub->cancel;
}
{
    my @calls;
    my $sub = $loop->signal('USR2', sub { push @calls, [@_] });
    kill 'USR2', $$;
    ok run_until($loop, sub { @calls }), 'USR2 delivered (no data)';
    my $c = $calls[0] // [];
    is scalar(@$c), 4, 'without data: still exactly 4 arguments';
    ok !defined $c->[3], 'without data: arg 3 is undef';
    $sub->cancel;
}
{
    my @calls;
    my $sub = $loop->signal('HUP', sub { push @calls, [@_] }, data => 'plain string');
    kill 'HUP', $$;
    ok run_until($loop, sub { @calls }), 'HUP delivered (scalar data)';
    is $calls[0][3], 'plain string', 'scalar data passed as is' if @calls;
    $sub->cancel;
}

# ---------------------------------------------------------------------------
# One handler per signal: replacement; cancel semantics.
# ---------------------------------------------------------------------------
none_pending();
{
    my (@a, @b);
    my $sa = $loop->signal('USR1', sub { push @a, $_[1] });
    my $sb = $loop->signal('SIGUSR1', sub { push @b, $_[1] });
    ok !$sa->is_active, 'replaced subscription is inactive';
    ok $sb->is_active, 'replacement is active';
    kill 'USR1', $$;
    ok run_until($loop, sub { @b }), 'replacement receives the signal';
    run_for($loop, 0.1);
    is scalar(@a), 0, 'replaced handler never fires';
    is scalar(@b), 1, 'replacement fired once';

    is $sa->cancel, 0, "replaced subscription's cancel returns 0 (it handles nothing)";
    ok $sb->is_active, "replaced subscription's cancel leaves the replacement active";
    @b = ();
    kill 'USR1', $$;
    ok run_until($loop, sub { @b }), "after the replaced subscription's cancel, the replacement still fires";
    is scalar(@a), 0, 'replaced handler still never fires';
    ok !$sa->cancel, "replaced subscription's cancel is false when repeated";

    ok $sb->cancel, 'replacement cancel: true the first time';
    ok !$sb->cancel, 'replacement cancel: false after';
    ok !$sb->is_active, 'replacement inactive after cancel';
    @a = @b = ();
    kill 'USR1', $$;
    run_for($loop, 0.3);
    is scalar(@a) + scalar(@b), 0, 'nothing fires after both are gone';
}
none_pending();
{
    # Partial replacement of an array-ref subscription.
    my (@a, @b);
    my $sa = $loop->signal([qw(USR1 USR2)], sub { push @a, $_[1] });
    my $sb = $loop->signal('usr2', sub { push @b, $_[1] });
    kill 'USR1', $$;
    kill 'USR2', $$;
    ok run_until($loop, sub { @a && @b }), 'partial replacement: both handlers get their signal';
    is_deeply \@a, [$SIGNO{USR1}], 'old subscription keeps USR1 only';
    is_deeply \@b, [$SIGNO{USR2}], 'new subscription has USR2';
    $sa->cancel;
    ok $sb->is_active, 'cancel of the partly replaced subscription leaves the replacement active';
    @a = @b = ();
    kill 'USR1', $$;
    kill 'USR2', $$;
    ok run_until($loop, sub { @b }), 'replacement still fires after the old one is cancelled';
    run_for($loop, 0.1);
    is scalar(@a), 0, 'old subscription fires no more (USR1 removed by its cancel)';
    $sb->cancel;
}
none_pending();
{
    # Re-subscribing from inside the callback replaces at once.
    my (@a, @b);
    my $sb;
    my $sa = $loop->signal('HUP', sub ($l, $s, $c, $d) {
        push @a, $s;
        $sb = $l->signal('HUP', sub { push @b, $_[1] });
    });
    kill 'HUP', $$;
    ok run_until($loop, sub { @a }), 'HUP to first handler';
    kill 'HUP', $$;
    ok run_until($loop, sub { @b }), 'next HUP goes to the handler installed inside the callback';
    is scalar(@a), 1, 'first handler fired once only';
    ok !$sa->is_active, 'first subscription inactive after being replaced from its own callback';
    $sb->cancel if $sb;
}

# ---------------------------------------------------------------------------
# Coalescing: a standard signal sent several times before dispatch is one
# pending signal (count 1).
# ---------------------------------------------------------------------------
none_pending();
{
    my @calls;
    my $sub = $loop->signal('USR2', sub { push @calls, [@_[1, 2]] });
    kill 'USR2', $$ for 1 .. 3;
    ok run_until($loop, sub { @calls }), 'USR2 x3 delivered';
    run_for($loop, 0.1);
    is_deeply \@calls, [[$SIGNO{USR2}, 1]], 'standard signal sent 3 times before dispatch: one call, count 1';
    $sub->cancel;
}

# ---------------------------------------------------------------------------
# Real-time signal queued several times: count > 1, total == number sent.
# ---------------------------------------------------------------------------
none_pending();
{
    my @calls;
    my $sub = $loop->signal($RT, sub { push @calls, [@_] }, data => 'rt');
    my $sent = 5;
    kill $RT, $$ for 1 .. $sent;
    ok run_until($loop, sub { my $t = 0; $t += $_->[2] for @calls; $t >= $sent }),
        "real-time signal $RT sent $sent times is delivered";
    run_for($loop, 0.1);
    my $total = 0; $total += $_->[2] for @calls;
    is $total, $sent, "sum of counts == $sent (number sent)";
    ok((grep { $_->[2] > 1 } @calls), 'at least one callback has count > 1 (queued RT signals coalesced)')
        or diag explain [map { $_->[2] } @calls];
    is scalar(@calls), 1, 'all queued instances of one cycle come in one callback';
    is $calls[0][1], $RT, 'signo is the real-time signal' if @calls;
    is scalar(@{ $calls[0] // [] }), 4, 'RT callback gets exactly 4 arguments';
    is $calls[0][3], 'rt', 'RT callback data' if @calls;
    $sub->cancel;
}

# ---------------------------------------------------------------------------
# Several different pending signals in one cycle: ascending signal number,
# each with its count, in ONE run_once.
# ---------------------------------------------------------------------------
none_pending();
{
    my @order;
    my @subs = map {
        my $n = $_;
        $loop->signal($n, sub ($l, $signo, $count, $data) { push @order, [$signo, $count, $data] }, data => "d$n")
    } (@SIGNO{qw(CHLD TERM HUP USR2 USR1)}, $RT);

    # Each is caught at once and counted; the loop dispatches them all in
    # its next cycle. Send in descending order.
    kill $RT, $$ for 1 .. 3;
    kill $SIGNO{CHLD}, $$;
    kill $SIGNO{TERM}, $$;
    kill $SIGNO{USR2}, $$;
    kill $SIGNO{USR2}, $$;    # coalesced
    kill $SIGNO{USR1}, $$;
    kill $SIGNO{HUP}, $$;
    is scalar(@order), 0, 'nothing is dispatched before the loop runs';

    $loop->run_once(2);
    my @want = map { [$_, 1, "d$_"] } sort { $a <=> $b } @SIGNO{qw(HUP USR1 USR2 TERM CHLD)};
    push @want, [$RT, 3, "d$RT"];
    is_deeply \@order, \@want,
        'one run_once delivers all pending signals in ascending signal number, with counts'
        or diag explain \@order;
    $_->cancel for @subs;
}

# ---------------------------------------------------------------------------
# Real signals from a forked child: USR1, USR2, TERM, HUP, RT.
# ---------------------------------------------------------------------------
none_pending();
for my $name (qw(USR1 USR2 TERM HUP RT)) {
    my $signo = $name eq 'RT' ? $RT : $SIGNO{$name};
    my @calls;
    my $sub = $loop->signal($name eq 'RT' ? $RT : $name, sub { push @calls, [@_] }, data => $name);
    my $parent = $$;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        kill $signo, $parent;
        POSIX::_exit(0);
    }
    ok run_until($loop, sub { @calls }), "SIG$name from a forked child is delivered";
    is $calls[0][1], $signo, "SIG$name from child: signo" if @calls;
    is $calls[0][2], 1, "SIG$name from child: count" if @calls;
    is $calls[0][3], $name, "SIG$name from child: data" if @calls;
    is waitpid($pid, 0), $pid, "child reaped";
    is $?, 0, 'child exited 0';
    $sub->cancel;
}
{
    # Several queued RT signals from a child.
    none_pending();
    my @calls;
    my $sub = $loop->signal($RT, sub { push @calls, $_[2] });
    my $parent = $$;
    my $sent = 4;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        kill $RT, $parent for 1 .. $sent;
        POSIX::_exit(0);
    }
    is waitpid($pid, 0), $pid, 'RT sender child done';
    ok run_until($loop, sub { my $t = 0; $t += $_ for @calls; $t >= $sent }), "RT x$sent from child delivered";
    run_for($loop, 0.1);
    my $t = 0; $t += $_ for @calls;
    is $t, $sent, "RT from child: total count $sent";
    ok((grep { $_ > 1 } @calls), 'RT from child: a count above 1');
    $sub->cancel;
}

# ---------------------------------------------------------------------------
# SIGCHLD: real child exit, and kill to self.
# ---------------------------------------------------------------------------
none_pending();
{
    my @calls;
    my $sub = $loop->signal('CHLD', sub { push @calls, [@_[1, 2]] });
    my $pid = fork // die "fork: $!";
    POSIX::_exit(3) unless $pid;
    ok run_until($loop, sub { @calls }), 'SIGCHLD from a child exit delivered';
    is_deeply $calls[0], [$SIGNO{CHLD}, 1], 'SIGCHLD: signo and count' if @calls;
    is waitpid($pid, 0), $pid, 'child reaped by the test';
    is $? >> 8, 3, 'child exit status 3';

    @calls = ();
    kill 'CHLD', $$;
    ok run_until($loop, sub { @calls }), 'SIGCHLD by kill to self delivered';
    is_deeply $calls[0], [$SIGNO{CHLD}, 1], 'SIGCHLD (self): signo and count' if @calls;
    $sub->cancel;
}

# ---------------------------------------------------------------------------
# A die in a signal callback propagates; the loop keeps working.
# ---------------------------------------------------------------------------
none_pending();
{
    my $n = 0;
    my $sub = $loop->signal('USR1', sub { $n++; die "boom $n\n" });
    kill 'USR1', $$;
    my $err;
    for (1 .. 50) {
        eval { $loop->run_once(0.1); 1 } or do { $err = $@; last };
    }
    is $err, "boom 1\n", 'die in a signal callback propagates out of run_once unchanged';
    kill 'USR1', $$;
    undef $err;
    for (1 .. 50) {
        eval { $loop->run_once(0.1); 1 } or do { $err = $@; last };
    }
    is $err, "boom 2\n", 'the loop still delivers signals after a callback died';
    $sub->cancel;
}

# ---------------------------------------------------------------------------
# run() with stop() from a signal callback.
# ---------------------------------------------------------------------------
none_pending();
{
    my @got;
    my $sub = $loop->signal('TERM', sub ($l, $s, $c, $d) { push @got, $s; $l->stop });
    my $guard = $loop->after(10, sub ($l) { $l->stop });
    my $parent = $$;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        select undef, undef, undef, 0.2;
        kill 'TERM', $parent;
        POSIX::_exit(0);
    }
    my $t0 = now();
    $loop->run;
    is_deeply \@got, [$SIGNO{TERM}], 'run() dispatches SIGTERM from a child, stop() from the callback ends run';
    cmp_ok now() - $t0, '<', 8, 'run ended by the signal, not by the guard timer';
    $loop->cancel($guard);
    waitpid $pid, 0;
    $sub->cancel;
}

pass 'the process was never killed by a subscribed signal';
done_testing;
