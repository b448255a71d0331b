#!perl
# Perl code that runs while the glue is inside a call: a PerlIO :via layer's
# FILENO, overloaded bool/0+/"", tied FETCH, DESTROY of a value the loop
# releases, a callback that frees its own loop, and exit from a callback.
# Whatever that code does (die, exit), the user sees its error unchanged
# (or a croak naming the method), the loop keeps working afterwards (no
# "already running", no "internal error", no flag left set), and nothing
# promised in the cycle is lost.  exit is tried in forked children, whose
# wait status and stderr are checked.
# (No readline in this file: it would add ", <$fh> line N" to die messages.)
use v5.36;
BEGIN { alarm 240 }    # watchdog: a hang fails instead of blocking CI
use Test::More;
use POSIX ();
use File::Temp ();
use Scalar::Util qw(refaddr);
use Time::HiRes ();
use Linux::Event;
use FindBin;
use lib "$FindBin::Bin/lib";
use LE::Test qw(new_pipe new_socketpair run_until have_pidfd);

$SIG{PIPE} = 'IGNORE';

my $FILE = __FILE__;
our %LINE;    # the line of each die below, for the exact messages

# ---- the Perl code under test ------------------------------------------

# A :via layer whose FILENO obeys $MODE: '' (the real fd), 'die', 'object'
# (dies with an object), 'other' (another number), 'neg' (-1), 'exit'.
package My::Via {
    our $MODE = '';
    our $EXIT = 0;
    sub PUSHED ($class, $mode, $fh) { bless {}, $class }
    sub FILENO ($self, $fh) {
        if ($MODE eq 'die') { $main::LINE{fileno} = __LINE__; die "FILENO died" }
        die $main::FILENO_ERROR if $MODE eq 'object';
        exit $EXIT if $MODE eq 'exit';
        return -1 if $MODE eq 'neg';
        return fileno($fh) + 100 if $MODE eq 'other';
        return fileno($fh);
    }
    sub FILL ($self, $fh) { my $buf; sysread($fh, $buf, 4096) ? $buf : undef }
    sub WRITE ($self, $buf, $fh) { syswrite($fh, $buf) // -1 }
}
our $FILENO_ERROR = bless { what => 'fileno' }, 'My::Error';

# Every conversion dies, naming itself.
package Dies::Converting {
    use overload
        'bool' => sub { $main::CONVERTED{bool}++; $main::LINE{bool} = __LINE__; die "overloaded bool died" },
        '0+'   => sub { $main::CONVERTED{num}++;  $main::LINE{num}  = __LINE__; die "overloaded 0+ died" },
        '""'   => sub { $main::CONVERTED{str}++;  $main::LINE{str}  = __LINE__; die "overloaded \"\" died" },
        fallback => 1;
    sub new ($class) { bless {}, $class }
}
our %CONVERTED;

package Tied::Dies {
    sub TIESCALAR ($class) { bless {}, $class }
    sub FETCH ($self) { $main::FETCHED++; $main::LINE{fetch} = __LINE__; die "FETCH died" }
    sub STORE ($self, $v) { }
}
our $FETCHED = 0;

# Its DESTROY records that it ran, then dies or exits as told, or runs a sub.
package Canary {
    sub new ($class, $name, $how = '', $code = 0) { bless { name => $name, how => $how, code => $code }, $class }
    sub DESTROY ($self) {
        $main::GONE{ $self->{name} }++;
        return $self->{how}->() if ref $self->{how} eq 'CODE';
        if ($self->{how} eq 'die') { $main::LINE{destroy} = __LINE__; die "DESTROY died" }
        exit $self->{code} if $self->{how} eq 'exit';
    }
}
our %GONE;

# A callback that is the only owner of a canary.
sub holding ($canary, $body = sub { }) {
    return sub { my $keep = $canary; $body->(@_) };
}

# In a forked child, END writes here (exit must run END blocks).
our $END_FH;
END { syswrite($END_FH, "END ran\n") if $END_FH }

# ---- helpers -----------------------------------------------------------

# A subtest whose unexpected die (the loop left broken, say) fails it
# instead of ending the whole file.
sub guarded ($name, $code) {
    subtest $name => sub {
        return if eval { $code->(); 1 };
        die $@ if ref $@ eq "Test::Builder::Exception";    # skip_all
        fail("$name: died: $@");
    };
}

# The loop is usable: run_once runs, a new timer fires, a new watcher fires.
sub loop_works ($loop, $name) {
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    ok(eval { $loop->run_once(0); 1 }, "$name: run_once runs again") or diag("run_once: $@");
    my $fired = 0;
    eval { $loop->after(0, sub ($l) { $fired++ }); run_until($loop, sub { $fired }); 1 }
        or diag("timer: $@");
    is($fired, 1, "$name: a new timer fires");
    my ($r, $w) = new_pipe();
    my $got = '';
    eval {
        $loop->watch($r, read => sub ($l, $fh, $wt) { sysread($fh, my $buf, 100); $got .= $buf });
        syswrite($w, 'alive');
        run_until($loop, sub { length $got });
        $loop->unwatch($r);
        1;
    } or diag("watcher: $@");
    is($got, 'alive', "$name: a new watcher on a pipe fires");
}

# With everything drained, the loop sleeps again: a wait with nothing ready
# lasts its time and runs nothing (no leftover state makes it spin).
sub loop_sleeps ($loop, $name) {
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $t0 = Time::HiRes::time();
    my $ran = eval { $loop->run_once(0.2) };
    my $took = Time::HiRes::time() - $t0;
    is($ran, 0, "$name: an idle cycle runs nothing") or diag("run_once: $@");
    cmp_ok($took, '>=', 0.15, "$name: the loop sleeps (waited ${took}s)");
}

# $watcher->$method answers 0 or 1 (never dies, never "internal error"); returns it.
sub answers_01 ($watcher, $method, $name) {
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $v = eval { $watcher->$method };
    my $err = $@;
    ok(defined $v && ($v eq '0' || $v eq '1'), "$name: $method answers 0 or 1")
        or diag('got ' . ($v // 'undef') . ($err ? ", died: $err" : ''));
    return $v;
}

# A pipe whose read end carries the :via layer: ($layered_r, $w, $raw_r)
# where $raw_r is a dup of the read end for draining without the layer.
sub via_pipe () {
    my ($r, $w) = new_pipe();
    open(my $raw, '<&', $r) or die "dup: $!";
    binmode($r, ':via(My::Via)') or die "binmode :via: $!";
    return ($r, $w, $raw);
}

# A child process that sleeps, keeping none of our pipes open (a child
# that exits early leaves it behind; it must not hold prove's output open).
sub sleeper () {
    my $kid = fork // die "fork: $!";
    if (!$kid) {
        open(STDOUT, '>', '/dev/null');
        open(STDERR, '>', '/dev/null');
        exec('sleep', '20') or POSIX::_exit(1);
    }
    return $kid;
}

# Runs $code in a forked child with stderr in a file.  Returns the wait
# status, the child's stderr and whether END blocks ran.  A $code that
# returns makes the child _exit(98) (no END), a die _exit(97).
sub in_fork ($code) {
    my $err = File::Temp->new;
    pipe(my $rd, my $wr) or die "pipe: $!";
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        close $rd;
        open(STDERR, '>', $err->filename) or POSIX::_exit(96);
        alarm 20;
        $END_FH = $wr;
        eval { $code->() };
        print STDERR "child died: $@" if $@;
        POSIX::_exit($@ ? 97 : 98);
    }
    close $wr;
    my $out = '';
    1 while sysread($rd, $out, 4096, length $out);
    close $rd;
    waitpid($pid, 0);
    my $status = $?;
    open(my $fh, '<', $err->filename) or die "open: $!";
    my $stderr = '';
    1 while sysread($fh, $stderr, 4096, length $stderr);
    return ($status, $stderr, $out =~ /END ran/ ? 1 : 0);
}

# The child exited with $code by exit (no signal, END ran, no panic).
sub child_exited ($got, $code, $name) {
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my ($status, $stderr, $end) = @$got;
    is($status & 127, 0, "$name: the child was not killed by a signal");
    is($status >> 8, $code, "$name: the child exited with the status given to exit");
    ok($end, "$name: END blocks ran");
    unlike($stderr, qr/panic|internal error|already borrowed|Attempt to free|Segmentation/i,
        "$name: nothing went wrong on stderr") or diag($stderr);
}

# ---- 1. a :via layer's FILENO ------------------------------------------

guarded ':via FILENO dies while the loop dispatches its handle' => sub {
    my $loop = Linux::Event->new;
    my ($r, $w, $raw) = via_pipe();
    my %n = (via => 0, other => 0, timer => 0);
    my $watcher = $loop->watch($r, read => sub ($l, $fh, $wt) { $n{via}++; sysread($raw, my $b, 100) });
    my ($r2, $w2) = new_pipe();
    $loop->watch($r2, read => sub ($l, $fh, $wt) { $n{other}++; sysread($fh, my $b, 100) });
    $loop->after(0, sub ($l) { $n{timer}++ });
    syswrite($w, 'x');
    syswrite($w2, 'y');

    local $My::Via::MODE = 'die';
    ok(!eval { $loop->run_once(1); 1 }, 'run_once dies');
    is($@, "FILENO died at $FILE line $LINE{fileno}.\n", "FILENO's error comes out unchanged");
    $My::Via::MODE = '';

    ok(eval { $loop->run_once(1); 1 }, 'the next run_once runs (not "already running")') or diag($@);
    is($n{other}, 1, 'the other ready fd of that cycle was dispatched, once');
    is($n{timer}, 1, 'the timer due in that cycle fired, once');
    eval { run_until($loop, sub { $n{via} }); 1 } or diag("run_until: $@");
    is($n{via}, 1, "the layered handle's read event is delivered once FILENO works again");
    is(answers_01($watcher, 'is_active', 'after FILENO died'), 1, 'the watcher is still active');
    answers_01($watcher, 'read_enabled', 'after FILENO died');

    loop_works($loop, 'after FILENO died in dispatch');
    loop_sleeps($loop, 'after FILENO died in dispatch');
};

guarded ':via FILENO dies with an object while the loop dispatches its handle' => sub {
    my $loop = Linux::Event->new;
    my ($r, $w, $raw) = via_pipe();
    my $reads = 0;
    my $watcher = $loop->watch($r, read => sub ($l, $fh, $wt) { $reads++; sysread($raw, my $b, 100) });
    syswrite($w, 'x');
    local $My::Via::MODE = 'object';
    ok(!eval { $loop->run_once(1); 1 }, 'run_once dies');
    ok(ref($@) && refaddr($@) == refaddr($FILENO_ERROR), 'the very same object comes out')
        or diag("got: $@");
    $My::Via::MODE = '';
    eval { run_until($loop, sub { $reads }); 1 } or diag("run_until: $@");
    is($reads, 1, 'the read event is delivered once FILENO works again');
    is(answers_01($watcher, 'is_active', 'after FILENO died'), 1, 'the watcher is still active');
    loop_works($loop, 'after FILENO died with an object');
    loop_sleeps($loop, 'after FILENO died with an object');
};

guarded ':via FILENO dies between the read and the write callback' => sub {
    my $loop = Linux::Event->new;
    my ($x, $y) = new_socketpair();
    open(my $raw, '+<&', $x) or die "dup: $!";
    binmode($x, ':via(My::Via)') or die "binmode :via: $!";
    my %n = (read => 0, write => 0);
    my $watcher = $loop->watch($x, edge_triggered => 1,
        read  => sub ($l, $fh, $wt) { $n{read}++; sysread($raw, my $b, 100); $My::Via::MODE = 'die' },
        write => sub ($l, $fh, $wt) { $n{write}++ },
    );
    syswrite($y, 'x');
    local $My::Via::MODE = '';
    ok(!eval { $loop->run_once(1); 1 }, 'run_once dies');
    is($@, "FILENO died at $FILE line $LINE{fileno}.\n", "FILENO's error comes out unchanged");
    is($n{read}, 1, 'the read callback ran');
    $My::Via::MODE = '';
    ok(eval { $loop->run_once(1); 1 }, 'the next run_once runs (not "already running")') or diag($@);
    is($n{write}, 1, 'the write half of that event (edge-triggered: not reported again) is delivered');
    is($n{read}, 1, 'the read callback did not run again');
    is(answers_01($watcher, 'is_active', 'after FILENO died'), 1, 'the watcher is still active');
    loop_works($loop, 'after FILENO died between read and write');
};

guarded ':via FILENO dies inside watcher methods' => sub {
    my $loop = Linux::Event->new;
    my ($r, $w, $raw) = via_pipe();
    my $reads = 0;
    my $watcher = $loop->watch($r, read => sub { $reads++; sysread($raw, my $b, 100) }, write => sub { });
    $watcher->disable_write;
    # [method, arguments, the getter that must be unchanged if it dies]
    my @calls = (
        [ 'is_active' ], [ 'read_enabled' ], [ 'write_enabled' ], [ 'error_enabled' ],
        [ 'edge_triggered' ], [ 'oneshot' ], [ 'fd' ], [ 'data' ],
        [ 'disable_read', [], 'read_enabled' ], [ 'enable_write', [], 'write_enabled' ],
        [ 'disable_error', [], 'error_enabled' ],
        [ 'edge_triggered', [1], 'edge_triggered' ], [ 'oneshot', [1], 'oneshot' ],
        [ 'on_read', [undef], 'read_enabled' ], [ 'on_write', [sub { }], 'write_enabled' ],
        [ 'data', ['new'], 'data' ],
    );
    for my $call (@calls) {
        my ($method, $args, $getter) = @$call;
        my $before = $getter ? $watcher->$getter : undef;
        local $My::Via::MODE = 'die';
        my $ok = eval { $watcher->$method(@{ $args // [] }); 1 };
        my $err = $@;
        $My::Via::MODE = '';
        if ($ok) {
            pass("$method: answers without FILENO's help");
            next;
        }
        is($err, "FILENO died at $FILE line $LINE{fileno}.\n", "$method: FILENO's error comes out unchanged");
        is($watcher->$getter, $before, "$method: $getter is unchanged by the failed call") if $getter;
    }
    is(answers_01($watcher, 'is_active', 'once FILENO works'), 1, 'the watcher is active');
    syswrite($w, 'x');
    $watcher->enable_read->on_read(sub { $reads++; sysread($raw, my $b, 100) });
    eval { run_until($loop, sub { $reads }); 1 } or diag("run_until: $@");
    is($reads, 1, 'the watcher still fires');
    {
        local $My::Via::MODE = 'die';
        my $ok = eval { $watcher->cancel; 1 };
        is($@, "FILENO died at $FILE line $LINE{fileno}.\n", "cancel: FILENO's error comes out unchanged")
            unless $ok;
    }
    $watcher->cancel;    # again with FILENO working (false if the first one worked)
    is(answers_01($watcher, 'is_active', 'after cancel'), 0, 'the watcher is cancelled');
    loop_works($loop, 'after FILENO died in watcher methods');
};

guarded ':via FILENO dies while run (not run_once) dispatches its handle' => sub {
    my $loop = Linux::Event->new;
    my ($r, $w, $raw) = via_pipe();
    my $reads = 0;
    $loop->watch($r, read => sub ($l, $fh, $wt) { $reads++; sysread($raw, my $b, 100); $l->stop });
    syswrite($w, 'x');
    local $My::Via::MODE = 'die';
    ok(!eval { $loop->run; 1 }, 'run dies');
    is($@, "FILENO died at $FILE line $LINE{fileno}.\n", "FILENO's error comes out of run unchanged");
    $My::Via::MODE = '';
    ok(eval { $loop->run; 1 }, 'run runs again (not "already running"), until the callback stops it')
        or diag($@);
    is($reads, 1, 'the read event was delivered');
    loop_works($loop, 'after FILENO died in run');
    loop_sleeps($loop, 'after FILENO died in run');
};

for my $case ([other => 'returns another number'], [neg => 'returns -1']) {
    my ($mode, $what) = @$case;
    guarded ":via FILENO $what during dispatch" => sub {
        my $loop = Linux::Event->new;
        my ($r, $w, $raw) = via_pipe();
        my $reads = 0;
        my $watcher = $loop->watch($r, read => sub { $reads++; sysread($raw, my $b, 100) });
        syswrite($w, 'x');
        {
            local $My::Via::MODE = $mode;
            ok(eval { $loop->run_once(1); 1 }, 'run_once returns normally') or diag($@);
        }
        is($reads, 0, 'the read callback is not called: the handle no longer has the watched fd');
        is(answers_01($watcher, 'is_active', "FILENO $what"), 0, 'the watcher is purged (inactive)');
        my $again = 0;
        $loop->watch($r, read => sub { $again++; sysread($raw, my $b, 100) });
        run_until($loop, sub { $again });
        is($again, 1, 'watching the handle again works');
        loop_works($loop, "after FILENO $what");
    };
}

guarded ':via FILENO calls exit during dispatch (forked child)' => sub {
    my @got = in_fork(sub {
        my $loop = Linux::Event->new;
        my ($r, $w, $raw) = via_pipe();
        $loop->watch($r, read => sub { sysread($raw, my $b, 100) });
        syswrite($w, 'x');
        local $My::Via::EXIT = 7;
        local $My::Via::MODE = 'exit';
        $loop->run_once(1);
    });
    child_exited(\@got, 7, 'exit in FILENO');
};

# ---- 2. overloaded conversions that die ----------------------------------

# $code (one line, $line) either dies with one of the overload's errors,
# unchanged, or croaks naming $method from the caller's line; the loop
# keeps working.
sub overload_case ($loop, $method, $line, $code) {
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my %before = %CONVERTED;
    my $ok  = eval { $code->(); 1 };
    my $err = $@;
    ok(!$ok, "$method: the call does not succeed");
    my ($kind) = grep { ($CONVERTED{$_} // 0) > ($before{$_} // 0) } qw(bool num str);
    my %msg = (bool => 'overloaded bool died', num => 'overloaded 0+ died', str => 'overloaded "" died');
    if ($kind) {
        is($err, "$msg{$kind} at $FILE line $LINE{$kind}.\n", "$method: the overload's die comes out unchanged");
        note("$method: the $kind overload was called and its die came out");
    } else {
        like($err, qr/\b\Q$method\E\b.* at \Q$FILE\E line $line\.\n\z/s,
            "$method: croaks naming the method, from the caller's line");
        note("$method: croaked without calling the overload: $err");
    }
    loop_works($loop, "after $method with a dying overload");
}

guarded 'overloaded bool, 0+ and "" that die' => sub {
    my $loop = Linux::Event->new;
    my $obj  = Dies::Converting->new;
    my ($r, $w) = new_pipe();
    my $line;

    $line = __LINE__; overload_case($loop, 'watch', $line, sub { $loop->watch($r, read => sub { }, edge_triggered => $obj) });
    $line = __LINE__; overload_case($loop, 'watch', $line, sub { $loop->watch($r, read => sub { }, oneshot => $obj) });
    my $watcher = $loop->watch($r, read => sub { });
    $line = __LINE__; overload_case($loop, 'edge_triggered', $line, sub { $watcher->edge_triggered($obj) });
    is(answers_01($watcher, 'edge_triggered', 'after a failed set'), 0, 'edge_triggered is unchanged');
    $line = __LINE__; overload_case($loop, 'oneshot', $line, sub { $watcher->oneshot($obj) });
    is(answers_01($watcher, 'oneshot', 'after a failed set'), 0, 'oneshot is unchanged');
    is(answers_01($watcher, 'is_active', 'after failed sets'), 1, 'the watcher is still active');
    $loop->unwatch($r);

    $line = __LINE__; overload_case($loop, 'after', $line, sub { $loop->after($obj, sub { }) });
    $line = __LINE__; overload_case($loop, 'at', $line, sub { $loop->at($obj, sub { }) });
    $line = __LINE__; overload_case($loop, 'run_once', $line, sub { $loop->run_once($obj) });
    my $waker = $loop->waker;
    $line = __LINE__; overload_case($loop, 'signal', $line, sub { $waker->signal($obj) });
    is($waker->drain, 0, 'the waker was not signalled');
    $line = __LINE__; overload_case($loop, 'signal', $line, sub { $loop->signal($obj, sub { }) });

    my %before = %CONVERTED;
    $line = __LINE__; overload_case($loop, 'cancel', $line, sub { $loop->cancel($obj) });
    is_deeply(\%CONVERTED, \%before, 'cancel of a reference croaks without calling the overload');

  SKIP: {
        skip 'pidfd_open is not available', 1 unless have_pidfd();
        my $kid = sleeper();
        $line = __LINE__; overload_case($loop, 'pid', $line, sub { $loop->pid($kid, sub { }, reap => $obj) });
        kill 'KILL', $kid;
        waitpid($kid, 0);
    }
};

# ---- 3. tied arguments whose FETCH dies ----------------------------------

guarded 'tied arguments whose FETCH dies' => sub {
    my $loop = Linux::Event->new;
    tie my $bad, 'Tied::Dies';
    my ($r, $w) = new_pipe();
    my $watcher = $loop->watch($r, read => sub { });
    my $waker   = $loop->waker;
    my $kid;
    if (have_pidfd()) {
        $kid = sleeper();
    }
    my @calls = (
        [ 'run_once'                => sub { $loop->run_once($bad) } ],
        [ 'at'                      => sub { $loop->at($bad, sub { }) } ],
        [ 'after (tied callback)'   => sub { $loop->after(0, $bad) } ],
        [ 'cancel'                  => sub { $loop->cancel($bad) } ],
        [ 'watch edge_triggered'    => sub { $loop->watch($r, read => sub { }, edge_triggered => $bad) } ],
        [ 'watch oneshot'           => sub { $loop->watch($r, read => sub { }, oneshot => $bad) } ],
        [ 'watch data'              => sub { $loop->watch($r, read => sub { }, data => $bad) } ],
        [ 'watch read'              => sub { $loop->watch($r, read => $bad) } ],
        [ 'watch handle'            => sub { $loop->watch($bad, read => sub { }) } ],
        [ 'unwatch'                 => sub { $loop->unwatch($bad) } ],
        [ 'edge_triggered($tied)'   => sub { $watcher->edge_triggered($bad) } ],
        [ 'oneshot($tied)'          => sub { $watcher->oneshot($bad) } ],
        [ 'on_read($tied)'          => sub { $watcher->on_read($bad) } ],
        [ 'data($tied)'             => sub { $watcher->data($bad) } ],
        [ 'waker signal'            => sub { $waker->signal($bad) } ],
        [ 'signal (signal)'         => sub { $loop->signal($bad, sub { }) } ],
        [ 'signal (list)'           => sub { $loop->signal([$bad], sub { }) } ],
        [ 'signal (callback)'       => sub { $loop->signal('USR1', $bad) } ],
        [ 'signal (data)'           => sub { $loop->signal('USR1', sub { }, data => $bad) } ],
        [ 'pid (pid)'               => sub { $loop->pid($bad, sub { }) } ],
        $kid ? (
            [ 'pid (reap)'          => sub { $loop->pid($kid, sub { }, reap => $bad) } ],
            [ 'pid (data)'          => sub { $loop->pid($kid, sub { }, data => $bad) } ],
            [ 'pid (callback)'      => sub { $loop->pid($kid, $bad) } ],
        ) : (),
    );
    for my $call (@calls) {
        my ($name, $code) = @$call;
        my $fetched = $FETCHED;
        ok(!eval { $code->(); 1 }, "$name: the call dies");
        is($@, "FETCH died at $FILE line $LINE{fetch}.\n", "$name: FETCH's error comes out unchanged");
        cmp_ok($FETCHED, '>', $fetched, "$name: FETCH was called");
    }
    is(answers_01($watcher, 'is_active', 'after the tied calls'), 1, 'the first watcher is still active');
    is(answers_01($watcher, 'edge_triggered', 'after the tied calls'), 0, 'its edge_triggered is unchanged');
    is(answers_01($watcher, 'oneshot', 'after the tied calls'), 0, 'its oneshot is unchanged');
    is($waker->drain, 0, 'the waker was not signalled');
    if ($kid) { kill 'KILL', $kid; waitpid($kid, 0) }
    loop_works($loop, 'after tied arguments died');
};

# ---- 4. DESTROY of a value the loop releases -----------------------------

# Each way the loop releases a value: [name, what the releasing call must
# return, sub ($loop, $make) that hands a canary made by $make->() to the
# loop (the loop holding the only reference) and has the loop release it,
# returning what the releasing call returned].
my @RELEASES = (
    [ 'cancel of a timer', 1, sub ($loop, $make) {
        my $id = $loop->after(10, holding($make->()));
        $loop->cancel($id);
    } ],
    [ 'a timer firing', 1, sub ($loop, $make) {
        my $fired = 0;
        $loop->after(0, holding($make->(), sub { $fired++ }));
        $loop->run_once(1);
        $fired;
    } ],
    [ '$watcher->cancel', 1, sub ($loop, $make) {
        my ($r, $w) = new_pipe();
        my $watcher = $loop->watch($r, read => holding($make->()));
        $watcher->cancel;
    } ],
    [ 'unwatch', 1, sub ($loop, $make) {
        my ($r, $w) = new_pipe();
        $loop->watch($r, read => holding($make->()));
        $loop->unwatch($r);
    } ],
    [ 'on_read(undef)', 'watcher', sub ($loop, $make) {
        my ($r, $w) = new_pipe();
        my $watcher = $loop->watch($r, read => holding($make->()));
        ref $watcher->on_read(undef) ? 'watcher' : 'not the watcher';
    } ],
    [ 'data replaced', 'new', sub ($loop, $make) {
        my ($r, $w) = new_pipe();
        my $watcher = $loop->watch($r, read => sub { }, data => $make->());
        $watcher->data('new');
    } ],
    [ 'watching the same fh again', 1, sub ($loop, $make) {
        my ($r, $w) = new_pipe();
        my $old = $loop->watch($r, read => holding($make->()));
        my $new = $loop->watch($r, read => sub { });
        $new->is_active;
    } ],
    [ 'the loop purging a watcher whose handle was closed', 0, sub ($loop, $make) {
        my ($r, $w) = new_pipe();
        my $watcher = $loop->watch($r, read => holding($make->()));
        # A dup keeps the pipe in the epoll set after the handle's close,
        # so the loop is told it is readable and finds the handle closed.
        open(my $dup, '<&', $r) or die "dup: $!";
        syswrite($w, 'x');
        close $r;
        $loop->run_once(1);
        $watcher->is_active;
    } ],
    [ 'cancel of a signal subscription', 1, sub ($loop, $make) {
        my $sub = $loop->signal('USR2', holding($make->()));
        $sub->cancel;
    } ],
    [ 'a signal subscription replaced', 1, sub ($loop, $make) {
        $loop->signal('USR2', holding($make->()));
        my $sub = $loop->signal('USR2', sub { });
        my $ok = $sub->is_active;
        $sub->cancel;
        $ok;
    } ],
    [ 'cancel of a pid subscription', 1, sub ($loop, $make) {
        my $kid = sleeper();
        my $sub = $loop->pid($kid, holding($make->()));
        my $ok = $sub->cancel;
        kill 'KILL', $kid;
        waitpid($kid, 0);
        $ok;
    } ],
    [ 'a pid subscription firing', 1, sub ($loop, $make) {
        my $kid = fork // die "fork: $!";
        if (!$kid) { POSIX::_exit(0) }
        my $fired = 0;
        $loop->pid($kid, holding($make->(), sub { $fired++ }));
        run_until($loop, sub { $fired });
        $fired;
    } ],
);

for my $release (@RELEASES) {
    my ($name, $want, $code) = @$release;
    guarded "DESTROY that dies, released by $name" => sub {
        plan skip_all => 'pidfd_open is not available' if $name =~ /pid/ && !have_pidfd();
        my $loop = Linux::Event->new;
        my @warn;
        local $SIG{__WARN__} = sub { push @warn, $_[0] };
        %GONE = ();
        my $got = eval { $code->($loop, sub { Canary->new('c', 'die') }) };
        my $err = $@;
        is($err, '', 'the releasing call returns normally');
        is($GONE{c}, 1, 'DESTROY ran, once, by the end of the statement');
        is($got, $want, 'the releasing call returned what it should');
        is_deeply(\@warn, ["\t(in cleanup) DESTROY died at $FILE line $LINE{destroy}.\n"],
            'the die is the usual "(in cleanup)" warning');
        local $SIG{__WARN__};
        loop_works($loop, "after DESTROY died ($name)");
    };
}

guarded 'DESTROY that dies, released by undef $loop' => sub {
    my @warn;
    local $SIG{__WARN__} = sub { push @warn, $_[0] };
    %GONE = ();
    my $loop = Linux::Event->new;
    $loop->after(10, holding(Canary->new('timer', 'die')));
    my ($r, $w) = new_pipe();
    $loop->watch($r, read => holding(Canary->new('read', 'die')), data => Canary->new('data', 'die'));
    $loop->signal('USR2', holding(Canary->new('signal', 'die')));
    ok(eval { undef $loop; 1 }, 'undef $loop returns normally') or diag($@);
    is_deeply(\%GONE, { timer => 1, read => 1, data => 1, signal => 1 }, 'every DESTROY ran, once');
    is(scalar(@warn), 4, 'each die is a warning');
    is(scalar(grep { $_ eq "\t(in cleanup) DESTROY died at $FILE line $LINE{destroy}.\n" } @warn), 4,
        '... the usual "(in cleanup)" one') or diag(explain(\@warn));
    local $SIG{__WARN__};
    loop_works(Linux::Event->new, 'a new loop after undef $loop');
};

guarded 'DESTROY that calls exit while the loop releases it (forked children)' => sub {
    my $code = 40;
    for my $release (@RELEASES) {
        my ($name, undef, $release_it) = @$release;
        next if $name =~ /pid/ && !have_pidfd();
        $code++;
        my $exit = $code;
        my @got = in_fork(sub {
            my $loop = Linux::Event->new;
            $release_it->($loop, sub { Canary->new('c', 'exit', $exit) });
        });
        child_exited(\@got, $exit, "exit in DESTROY, released by $name");
    }
    my @got = in_fork(sub {
        my $loop = Linux::Event->new;
        my ($r, $w) = new_pipe();
        $loop->watch($r, read => holding(Canary->new('read', 'exit', 61)));
        $loop->after(10, holding(Canary->new('timer')));
        undef $loop;
    });
    child_exited(\@got, 61, 'exit in DESTROY, released by undef $loop');
};

guarded 'a callback dies and DESTROY of its released closure dies too' => sub {
    my @warn;
    local $SIG{__WARN__} = sub { push @warn, $_[0] };
    %GONE = ();
    my $loop = Linux::Event->new;
    my $line;
    $loop->after(0, holding(Canary->new('c', 'die'), sub ($l) { $line = __LINE__; die "callback died" }));
    ok(!eval { $loop->run_once(1); 1 }, 'run_once dies');
    is($@, "callback died at $FILE line $line.\n", "the callback's error comes out unchanged");
    is($GONE{c}, 1, 'DESTROY ran, once, by the end of the statement');
    is_deeply(\@warn, ["\t(in cleanup) DESTROY died at $FILE line $LINE{destroy}.\n"],
        'its die is the usual "(in cleanup)" warning');
    local $SIG{__WARN__};
    loop_works($loop, 'after a callback and its DESTROY died');
};

guarded 'a callback dies and DESTROY of its released closure calls exit (forked child)' => sub {
    child_exited([ in_fork(sub {
        my $loop = Linux::Event->new;
        $loop->after(0, holding(Canary->new('c', 'exit', 63), sub ($l) { die "callback died" }));
        eval { $loop->run_once(1) };
    }) ], 63, 'exit in DESTROY after the callback died');
};

# ---- 5. a callback that frees the loop that runs it ----------------------

guarded 'a timer callback frees its loop during run_once' => sub {
    %GONE = ();
    my $loop = Linux::Event->new;
    my ($r, $w) = new_pipe();
    $loop->watch($r, read => holding(Canary->new('read')), data => Canary->new('data'));
    $loop->after(10, holding(Canary->new('later')));
    $loop->signal('USR2', holding(Canary->new('signal')));
    $loop->waker->on_wakeup(holding(Canary->new('wakeup')));
    $loop->after(0, holding(Canary->new('self'), sub ($l) { undef $loop }));
    ok(eval { $loop->run_once(1); 1 }, 'run_once returns normally') or diag($@);
    ok(!defined $loop, 'the loop variable is gone');
    is_deeply(\%GONE, { map { $_ => 1 } qw(read data later signal wakeup self) },
        "every value the loop held was released, once, by the end of run_once's statement");
    loop_works(Linux::Event->new, 'a new loop afterwards');
};

guarded 'a read callback frees its loop, then stops it, during run' => sub {
    %GONE = ();
    my $loop = Linux::Event->new;
    my ($x, $y) = new_socketpair();
    $loop->after(10, holding(Canary->new('later')));
    $loop->watch($x,
        read  => holding(Canary->new('read'), sub ($l, $fh, $wt) { undef $loop; $l->stop }),
        write => holding(Canary->new('write')),
    );
    syswrite($y, 'x');
    ok(eval { $loop->run; 1 }, 'run returns (the callback stopped the loop through its argument)')
        or diag($@);
    ok(!defined $loop, 'the loop variable is gone');
    is_deeply(\%GONE, { map { $_ => 1 } qw(later read write) },
        "every value the loop held was released, once, by the end of run's statement");
    loop_works(Linux::Event->new, 'a new loop afterwards');
};

guarded 'a callback frees its loop and then dies' => sub {
    %GONE = ();
    my $loop = Linux::Event->new;
    $loop->after(10, holding(Canary->new('later')));
    my $line;
    $loop->after(0, holding(Canary->new('self'), sub ($l) { undef $loop; $line = __LINE__; die "after freeing" }));
    ok(!eval { $loop->run_once(1); 1 }, 'run_once dies');
    is($@, "after freeing at $FILE line $line.\n", "the callback's error comes out unchanged");
    ok(!defined $loop, 'the loop variable is gone');
    is_deeply(\%GONE, { later => 1, self => 1 }, 'every value the loop held was released, once');
    loop_works(Linux::Event->new, 'a new loop afterwards');
};

# Stands for the loop in @RELEASES without holding it: calls go to the
# loop in the variable it was given.
package Loop::Proxy {
    our $AUTOLOAD;
    sub new ($class, $variable) { bless { variable => $variable }, $class }
    sub AUTOLOAD ($self, @args) {
        my ($method) = $AUTOLOAD =~ /(\w+)\z/;
        return if $method eq 'DESTROY';
        return ${ $self->{variable} }->$method(@args);
    }
}

# The loop releases a value whose DESTROY frees the loop (the user's only
# reference to it), from inside the releasing call.  Run this file under
# valgrind too: a read of the freed loop after such a DESTROY (as
# $watcher->cancel did in 0.009) is invisible to the assertions here.
for my $release (@RELEASES) {
    my ($name, $want, $code) = @$release;
    guarded "DESTROY frees the loop while it is released by $name" => sub {
        plan skip_all => 'pidfd_open is not available' if $name =~ /pid/ && !have_pidfd();
        %GONE = ();
        my $loop = Linux::Event->new;
        $loop->after(10, holding(Canary->new('other')));
        my $got = eval { $code->(Loop::Proxy->new(\$loop), sub { Canary->new('c', sub { undef $loop }) }) };
        is($@, '', 'the releasing call returns normally');
        # (These two return the replacement's is_active: 0, its loop is gone.)
        is($got, $want, 'the releasing call returned what it should') unless $name =~ /again|replaced/;
        ok(!defined $loop, 'the loop variable is gone');
        is_deeply(\%GONE, { c => 1, other => 1 }, 'every value the loop held was released, once');
        loop_works(Linux::Event->new, 'a new loop afterwards');
    };
}

# ---- 6. exit from a callback inside run (forked children) ---------------

guarded 'exit from a callback inside run' => sub {
    child_exited([ in_fork(sub {
        my $loop = Linux::Event->new;
        $loop->after(0, sub ($l) { exit 3 });
        $loop->run;
    }) ], 3, 'exit 3 from a timer in run');

    child_exited([ in_fork(sub {
        my $loop = Linux::Event->new;
        $loop->after(0, sub ($l) { exit 0 });
        $loop->after(0, sub ($l) { POSIX::_exit(90) });    # must not run
        $loop->run;
    }) ], 0, 'exit 0 from a timer in run');

    child_exited([ in_fork(sub {
        my $loop = Linux::Event->new;
        my ($x, $y) = new_socketpair();
        $loop->watch($x, read => sub { exit 4 }, write => sub { POSIX::_exit(91) });
        syswrite($y, 'x');
        $loop->run_once(1);
    }) ], 4, 'exit 4 from a read callback in run_once (the write callback does not run)');

    child_exited([ in_fork(sub {
        my $loop = Linux::Event->new;
        $loop->signal('USR1', sub { exit 5 });
        kill 'USR1', $$;
        $loop->run;
    }) ], 5, 'exit 5 from a signal callback in run');

    child_exited([ in_fork(sub {
        my $loop = Linux::Event->new;
        my $waker = $loop->waker;
        $waker->on_wakeup(sub { exit 6 });
        $waker->signal;
        $loop->run;
    }) ], 6, 'exit 6 from a wakeup callback in run');
};

done_testing;
