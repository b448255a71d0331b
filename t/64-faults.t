#!perl
# Faults in callbacks, for every kind of callback (timer, read, write, error,
# on_wakeup, signal, pid, and a %SIG handler run by the loop):
#  - a die comes out of run/run_once unchanged (same string, same object);
#    then timers still fire, watchers still work, the waker still wakes, and
#    the same registration still works;
#  - nothing pending in the cycle of the die is lost;
#  - a callback that drops the loop's last reference, runs the loop from
#    inside (croaks "already running"), unwatches or re-watches its own fd,
#    cancels every timer, or calls exit: defined behaviour, never a crash.
# The risky cases run in forked children whose wait status is checked.
use v5.36;
use Test::More;

BEGIN { alarm 150 }

use POSIX ();
use IO::Handle;
use Scalar::Util qw(refaddr blessed);
use Linux::Event;
use FindBin;
use lib "$FindBin::Bin/lib";
use LE::Test qw(now have_pidfd new_socketpair run_until in_child report status_text kill_me_later);

$SIG{PIPE} = 'IGNORE';
my $FILE = __FILE__;

my $HAVE_PIDFD = have_pidfd();

package Guard {
    sub new ($class, $cb) { bless { cb => $cb }, $class }
    sub DESTROY ($self) { $self->{cb}->() }
}

package My::Error {
    sub new ($class, %a) { bless {%a}, $class }
}

sub no_crash ($st, $name) {
    ok !($st & 127), "$name: no crash (" . status_text($st) . ')';
}

# The loop is healthy: a timer fires, a new watcher works, the waker wakes.
sub loop_healthy ($loop, $name) {
    my $fired = 0;
    $loop->after(0.001, sub ($l) { $fired++ });
    run_until($loop, sub { $fired });
    is $fired, 1, "$name: a new timer fires";
    my ($x, $y) = new_socketpair();
    my $got = '';
    my $w = $loop->watch($x, read => sub ($l, $fh, $wt) { sysread($fh, my $b, 100); $got .= $b });
    syswrite($y, 'alive');
    run_until($loop, sub { length $got });
    is $got, 'alive', "$name: a new watcher works";
    $w->cancel;
    my $waker = $loop->waker;
    my $n = 0;
    $waker->on_wakeup(sub ($l, $c) { $n += $c });
    $waker->signal(2);
    run_until($loop, sub { $n });
    is $n, 2, "$name: the waker wakes the loop";
    $waker->on_wakeup(undef);
}

# ---------------------------------------------------------------------------
# Callback kinds. $arm{$kind}->($loop, $body) registers a callback of that
# kind which runs $body->(); it returns a sub that makes the event happen
# (again). Registrations are kept where the kind allows (all but timer, pid).
# Signals subscribed through the loop: USR1 and HUP (blocked for good);
# %SIG handlers use USR2, which no loop subscribes.
# ---------------------------------------------------------------------------
my @KEEP;    # handles that must outlive their watchers

my %arm = (
    timer => sub ($loop, $body) {
        return sub { $loop->after(0, sub ($l) { $body->() }) };
    },
    read => sub ($loop, $body) {
        my ($x, $y) = new_socketpair();
        push @KEEP, $x, $y;
        $loop->watch($x, read => sub ($l, $fh, $w) { sysread($fh, my $b, 100); $body->() });
        return sub { syswrite($y, 'r') };
    },
    write => sub ($loop, $body) {
        my ($x, $y) = new_socketpair();
        push @KEEP, $x, $y;
        my $w = $loop->watch($x, write => sub ($l, $fh, $w) { $w->disable_write; $body->() });
        $w->disable_write;
        return sub { $w->enable_write };
    },
    error => sub ($loop, $body) {
        pipe(my $r, my $wr) or die "pipe: $!";
        push @KEEP, $wr;
        my $w = $loop->watch($wr, error => sub ($l, $fh, $w) { $w->disable_error; $body->() });
        $w->disable_error;
        close $r;    # the write end of a pipe with no reader: EPOLLERR from now on
        return sub { $w->enable_error };
    },
    on_wakeup => sub ($loop, $body) {
        my $waker = $loop->waker;
        $waker->on_wakeup(sub ($l, $n) { $body->() });
        return sub { $waker->signal };
    },
    signal => sub ($loop, $body) {
        $loop->signal('USR1', sub ($l, $signo, $count, $data) { $body->() });
        return sub { kill USR1 => $$ };
    },
    pid => sub ($loop, $body) {
        return sub {
            my $pid = fork // die "fork: $!";
            if (!$pid) { select undef, undef, undef, 0.02; POSIX::_exit(0) }
            $loop->pid($pid, sub ($l, $p, $st, $d) { $body->() });
        };
    },
    sig_handler => sub ($loop, $body) {
        $SIG{USR2} = sub { $body->() };
        return sub { kill_me_later(USR2 => 0.05) };
    },
);
my @KINDS = grep { $_ ne 'pid' || $HAVE_PIDFD } qw(timer read write error on_wakeup signal pid sig_handler);

# ---------------------------------------------------------------------------
# A die in every kind of callback, from run_once and from run, a string and
# an object.
# ---------------------------------------------------------------------------
for my $kind (@KINDS) {
    for my $how (qw(run_once run)) {
        for my $what (qw(string object)) {
            subtest "die in a $kind callback, out of $how, as a $what" => sub {
                my $loop = Linux::Event->new;
                my $obj  = My::Error->new(kind => $kind);
                my ($calls, $armed) = (0, 1);
                my $DIE_LINE = __LINE__ + 3;
                my $fire = $arm{$kind}->($loop, sub {
                    $calls++;
                    if ($armed) { $armed = 0; die($what eq 'string' ? "boom in $kind" : $obj) }
                });
                $fire->();
                my ($died, $err) = (0, undef);
                if ($how eq 'run') {
                    my $backstop = $loop->after(5, sub ($l) { $l->stop });
                    $died = eval { $loop->run; 1 } ? 0 : 1;
                    $err  = $@;
                    $loop->cancel($backstop);
                }
                else {
                    my $t0 = now();
                    until ($died || now() - $t0 > 5) {
                        $died = eval { $loop->run_once(0.5); 1 } ? 0 : 1;
                        $err  = $@;
                    }
                }
                ok $died, "$how died";
                if ($what eq 'string') {
                    is $err, "boom in $kind at $FILE line $DIE_LINE.\n",
                        'the same string, with its own " at FILE line N." part';
                }
                else {
                    ok ref $err && refaddr($err) == refaddr($obj), 'the very same exception object';
                }
                is $calls, 1, 'the callback ran once';

                # The same registration works again (timers and pids: a new one).
                $fire->();
                run_until($loop, sub { $calls >= 2 });
                is $calls, 2, "the $kind callback runs again afterwards";
                loop_healthy($loop, $kind);
            };
        }
    }
}

# ---------------------------------------------------------------------------
# Nothing pending in the cycle of the die is lost.
# ---------------------------------------------------------------------------
subtest 'two due timers: the first dies, the second fires on the next cycle' => sub {
    my $loop = Linux::Event->new;
    my @order;
    $loop->after(0, sub { push @order, 'a'; die "a died\n" });
    $loop->after(0, sub { push @order, 'b' });
    select undef, undef, undef, 0.01;
    ok !eval { $loop->run_once(1); 1 }, 'run_once died';
    is $@, "a died\n", 'with the first timer\'s exception';
    is_deeply \@order, ['a'], 'the second timer did not run in that cycle';
    $loop->run_once(0);
    is_deeply \@order, [qw(a b)], 'the second timer fired on the next cycle';
};

subtest 'two edge-triggered fds ready: the first callback dies, the other still runs' => sub {
    my $loop = Linux::Event->new;
    my ($a1, $a2) = new_socketpair();
    my ($b1, $b2) = new_socketpair();
    my (%calls, $died_in);
    for my $p ([a => $a1], [b => $b1]) {
        my ($name, $fh) = @$p;
        $loop->watch($fh, edge_triggered => 1, read => sub ($l, $f, $w) {
            $calls{$name}++;
            # The first callback of the cycle dies (without reading: with
            # edge triggering the kernel will not report this data again).
            if (!$died_in) { $died_in = $name; die "died in $name\n" }
        });
    }
    syswrite($a2, 'x');
    syswrite($b2, 'x');
    select undef, undef, undef, 0.02;
    ok !eval { $loop->run_once(1); 1 }, 'run_once died';
    is $@, "died in $died_in\n", 'with that callback\'s exception';
    $loop->run_once(0) for 1 .. 3;
    is_deeply \%calls, { a => 1, b => 1 }, 'the other fd was dispatched on the next cycle, once; nothing twice';
};

subtest 'two signals pending: the first handler dies, the second still runs' => sub {
    my $loop = Linux::Event->new;
    my @got;
    # HUP (1) is dispatched before USR1 (10).
    $loop->signal('HUP',  sub ($l, $s, $c, $d) { push @got, "HUP x$c"; die "hup died\n" });
    $loop->signal('USR1', sub ($l, $s, $c, $d) { push @got, "USR1 x$c" });
    kill HUP => $$;
    kill USR1 => $$;
    ok !eval { $loop->run_once(1); 1 }, 'run_once died';
    is $@, "hup died\n", 'with the HUP handler\'s exception';
    $loop->run_once(0);
    is_deeply \@got, ['HUP x1', 'USR1 x1'], 'USR1 was delivered on the next cycle, once';
};

# ---------------------------------------------------------------------------
# A callback that drops the loop's last reference (in children: a crash
# would only fail the test).
# ---------------------------------------------------------------------------
for my $kind (grep { $_ ne 'pid' || $HAVE_PIDFD } qw(timer read write on_wakeup signal pid)) {
    my ($r, $st) = in_child(sub {
        my @out;
        my $loop = Linux::Event->new;
        my $gone = 0;
        my $calls = 0;
        # A pending timer holds a guard: it is released with the loop.
        {
            my $guard = Guard->new(sub { $gone++ });
            $loop->after(60, sub { my $g = $guard });
        }
        my $fire = $arm{$kind}->($loop, sub {
            $calls++;
            undef $loop;    # the last reference outside the loop's own call
            push @out, during => $gone;
        });
        $fire->();
        undef $fire;    # it holds a copy of $loop
        my $l = $loop;
        Scalar::Util::weaken($l);
        my $t0 = now();
        while ($loop && now() - $t0 < 5) { $loop->run_once(0.5) }
        push @out, calls => $calls, gone => $gone, weak => defined($l) ? 'alive' : 'freed';
        # Life goes on: a new loop works.
        my $new = Linux::Event->new;
        my $fired = 0;
        $new->after(0.001, sub { $fired++ });
        $new->run_once(1) until $fired || now() - $t0 > 10;
        push @out, new_loop => $fired;
        return @out;
    });
    subtest "a $kind callback drops the loop's last reference" => sub {
        no_crash($st, $kind);
        is $st, 0, 'the child exited normally';
        is $r->{calls}, 1, 'the callback ran once';
        is $r->{during}, 0, 'the loop stayed alive until its call returned';
        is $r->{gone}, 1, 'then it was destroyed, releasing its pending timer';
        is $r->{weak}, 'freed', 'nothing else kept it alive';
        is $r->{new_loop}, 1, 'a new loop works afterwards';
        is $r->{'child died'}, undef, 'no exception';
    };
}

subtest 'a callback drops the last reference of the loop, its watcher and its handle, inside run()' => sub {
    my ($r, $st) = in_child(sub {
        my $loop = Linux::Event->new;
        my ($x, $y) = new_socketpair();
        my $calls = 0;
        my $w;
        $w = $loop->watch($x, read => sub ($l, $fh, $wt) {
            $calls++;
            undef $loop;
            undef $w;
            undef $x;
            $l->stop;    # $l is the loop's own (mortal) reference: still usable
        });
        syswrite($y, 'x');
        my $l = $loop;
        Scalar::Util::weaken($l);
        $loop->run;
        return (calls => $calls, loop => defined($l) ? 'alive' : 'freed');
    });
    no_crash($st, 'drop all in read');
    is $st, 0, 'the child exited normally';
    is $r->{calls}, 1, 'the callback ran once';
    is $r->{loop}, 'freed', 'the loop was freed when run returned';
    is $r->{'child died'}, undef, 'no exception' or diag $r->{'child died'};
};

# ---------------------------------------------------------------------------
# Running the loop from inside one of its callbacks croaks "already running".
# ---------------------------------------------------------------------------
for my $kind (qw(timer read on_wakeup signal)) {
    subtest "run/run_once from inside a $kind callback" => sub {
        my $loop = Linux::Event->new;
        my (@errs, $calls);
        my $line;
        my $fire = $arm{$kind}->($loop, sub {
            $calls++;
            for my $m (qw(run run_once)) {
                $line = __LINE__ + 1;
                push @errs, eval { $m eq 'run' ? $loop->run : $loop->run_once(0); 1 } ? 'NO ERROR' : $@;
            }
            $loop->stop;
        });
        $fire->();
        $loop->after(5, sub ($l) { $l->stop });
        my $ok = eval { $loop->run; 1 };
        ok $ok, 'the outer run was not disturbed' or diag $@;
        is $calls, 1, 'the callback ran once';
        like $errs[0], qr/already running/, 'run inside croaks "already running"';
        like $errs[1], qr/already running/, 'run_once inside croaks "already running"';
        like $_, qr/ at \Q$FILE\E line $line\.$/, 'reported from the caller\'s line' for @errs;

        # Not caught: the croak comes out of the outer run, which can run again.
        $fire = $arm{$kind}->($loop, sub { $loop->run_once(0) });
        $fire->();
        ok !eval { $loop->run_once(2) while 1; 1 }, 'an uncaught nested run_once croak leaves the outer one';
        like $@, qr/already running/, '... with the "already running" message';
        loop_healthy($loop, "after a nested run in $kind");
    };
}

# ---------------------------------------------------------------------------
# A callback that unwatches or re-watches its own fd.
# ---------------------------------------------------------------------------
subtest 'a read callback unwatches its own fd: no write callback, nothing more' => sub {
    my $loop = Linux::Event->new;
    my ($x, $y) = new_socketpair();
    my ($reads, $writes) = (0, 0);
    my $w = $loop->watch($x,
        read  => sub ($l, $fh, $wt) { $reads++; ok $l->unwatch($fh), 'unwatch of its own fd returns true' },
        write => sub { $writes++ },
    );
    syswrite($y, 'x');    # readable and writable at once
    $loop->run_once(1);
    $loop->run_once(0.05) for 1 .. 3;
    is $reads, 1, 'read ran once';
    is $writes, 0, 'write was not called after read unwatched';
    ok !$w->is_active, 'watcher inactive';
    is $loop->unwatch($x), 0, 'a second unwatch returns 0';
    ok defined fileno($x), 'the handle was not closed';
    loop_healthy($loop, 'after self-unwatch');
};

subtest 'a read callback cancels its watcher and re-watches the same fd' => sub {
    my $loop = Linux::Event->new;
    my ($x, $y) = new_socketpair();
    my (@log, $new);
    my $old = $loop->watch($x,
        read => sub ($l, $fh, $wt) {
            push @log, 'old read';
            $wt->cancel;
            $new = $l->watch($fh, read => sub ($l2, $fh2, $wt2) {
                push @log, 'new read';
                sysread($fh2, my $b, 100);
            });
        },
        write => sub { push @log, 'old write' },
    );
    syswrite($y, 'x');
    $loop->run_once(1);
    is_deeply \@log, ['old read'], 'first cycle: the old read only, not the old write';
    $loop->run_once(1);
    is_deeply \@log, ['old read', 'new read'], 'next cycle: the new watcher reads';
    ok !$old->is_active && $new->is_active, 'old inactive, new active';
    syswrite($y, 'y');
    $loop->run_once(1);
    is scalar(grep { $_ eq 'new read' } @log), 2, 'the new watcher keeps working';
    is scalar(grep { /old/ } @log), 1, 'the old one never fires again';
};

subtest 'a read callback replaces its own watcher (watch on the same fd) without cancelling' => sub {
    my $loop = Linux::Event->new;
    my ($x, $y) = new_socketpair();
    my @log;
    my $old = $loop->watch($x,
        read => sub ($l, $fh, $wt) {
            push @log, 'old read';
            $l->watch($fh, read => sub ($l2, $fh2, $wt2) { push @log, 'new read'; sysread($fh2, my $b, 100) },
                write => sub ($l2, $fh2, $wt2) { push @log, 'new write'; $wt2->disable_write });
        },
        write => sub { push @log, 'old write' },
    );
    syswrite($y, 'x');
    $loop->run_once(1);
    is_deeply \@log, ['old read'], 'the replaced watcher\'s write was not called in that cycle';
    ok !$old->is_active, 'the old watcher is inactive';
    $loop->run_once(1);
    is_deeply [ sort @log[ 1 .. $#log ] ], [ 'new read', 'new write' ], 'the new watcher is dispatched next';
};

subtest 'a callback unwatches a different fd that is ready in the same cycle' => sub {
    my $loop = Linux::Event->new;
    my ($a1, $a2) = new_socketpair();
    my ($b1, $b2) = new_socketpair();
    my %calls;
    my %fh = (a => $a1, b => $b1);
    for my $name (qw(a b)) {
        my $other = $name eq 'a' ? 'b' : 'a';
        $loop->watch($fh{$name}, read => sub ($l, $fh, $w) {
            $calls{$name}++;
            sysread($fh, my $buf, 10);
            $l->unwatch($fh{$other});
        });
    }
    syswrite($_, 'x') for $a2, $b2;
    select undef, undef, undef, 0.02;
    $loop->run_once(1);
    $loop->run_once(0.05) for 1 .. 2;
    is scalar(keys %calls), 1, 'only the first of the two ran; the unwatched one never did';
};

# ---------------------------------------------------------------------------
# A timer callback cancels every timer.
# ---------------------------------------------------------------------------
subtest 'a timer cancels every timer, including ones due in the same cycle' => sub {
    my $loop = Linux::Event->new;
    my (@ids, @fired, @cancel_results);
    my $first = $loop->after(0, sub ($l) {
        push @fired, 'first';
        @cancel_results = map { $l->cancel($_) } @ids;
    });
    push @ids, $first;    # its own id: already fired, so false
    push @ids, map { my $n = $_; $loop->after($n < 50 ? 0 : 0.01 * ($n - 49), sub { push @fired, $n }) } 1 .. 100;
    select undef, undef, undef, 0.01;
    $loop->run_once(1);
    $loop->run_once(0.2) for 1 .. 3;
    is_deeply \@fired, ['first'], 'no other timer fired';
    is $cancel_results[0], 0, 'cancelling its own (fired) id returned 0';
    is scalar(grep { $_ } @cancel_results[ 1 .. 100 ]), 100, 'all 100 pending timers were cancelled (true)';
    ok $loop->run_once(0) == 0, 'nothing left';
    loop_healthy($loop, 'after cancelling every timer');
};

# ---------------------------------------------------------------------------
# exit in a callback of every kind (in a child): the exit code reaches the
# parent, END blocks run, no crash.
# ---------------------------------------------------------------------------
our $END_FH;
END { syswrite($END_FH, "END ran\n") if $END_FH }

for my $kind (@KINDS) {
    pipe(my $rd, my $wr) or die "pipe: $!";
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        close $rd;
        alarm 10;
        $END_FH = $wr;
        my $loop = Linux::Event->new;
        my $fire = $arm{$kind}->($loop, sub { exit 7 });
        $fire->();
        $loop->after(5, sub { POSIX::_exit(99) });    # backstop: exit was not reached
        eval { $loop->run };
        syswrite($wr, "run returned: $@\n");
        POSIX::_exit(98);
    }
    close $wr;
    my $out = do { local $/; <$rd> } // '';
    close $rd;
    waitpid($pid, 0);
    my $st = $?;
    subtest "exit 7 in a $kind callback" => sub {
        no_crash($st, $kind);
        is status_text($st), 'exit 7', 'the parent sees exit code 7';
        is $out, "END ran\n", 'END blocks ran (and run did not return)';
    };
}

subtest 'exit inside a callback while an outer eval is pending' => sub {
    my ($r, $st) = in_child(sub {
        my $loop = Linux::Event->new;
        $loop->after(0, sub { exit 3 });
        my $ok = eval { $loop->run_once(1); 1 };
        report(after_eval => $ok ? 'returned' : "died: $@");
        POSIX::_exit(97);
    });
    is status_text($st), 'exit 3', 'exit is not caught by an eval around run_once';
    is $r->{after_eval}, undef, 'nothing ran after run_once';
};

done_testing;
