#!perl
# Model-based randomized test: long random sequences of public operations
# (watch, unwatch, cancel, the watcher's setters and getters, closing and
# reopening handles without unwatch, sending data, timers at(0), after(0)
# and far away, cancel, wakeups) and run_once(0), with callbacks that
# themselves change the loop (schedule, cancel, unwatch, close their own
# handle, disable their write half, die), checked step by step against a
# reference model of what each cycle must dispatch and what each call must
# return.
#
# The order in which the kernel reports descriptors is not specified, so a
# cycle's I/O callbacks are compared as a set (with the read callback of a
# descriptor before its write callback); timers are compared in order.
#
# Environment: LE_MODEL_SEED (first seed, default 1), LE_MODEL_SEEDS (how
# many seeds, default 20), LE_MODEL_STEPS (operations per seed, default
# 3000).  A failure prints the seed, the step and the last operations;
# rerun one seed with LE_MODEL_SEED=n LE_MODEL_SEEDS=1.
use v5.36;
use Test::More;
use Socket ();
use IO::Handle ();

BEGIN { alarm 600 }
$SIG{PIPE} = 'IGNORE';    # a timer may send to a slot closed earlier in its cycle

use Linux::Event;

my $SEED0 = $ENV{LE_MODEL_SEED}  // 1;
my $SEEDS = $ENV{LE_MODEL_SEEDS} // 20;
my $STEPS = $ENV{LE_MODEL_STEPS} // 3000;
my $SLOTS = 4;

my %seen;    # what the runs exercised, reported at the end
for my $seed ($SEED0 .. $SEED0 + $SEEDS - 1) {
    my $err = run_model($seed, $STEPS);
    ok !defined $err, "seed $seed: $STEPS operations agree with the model"
        or diag "seed $seed: $err\nrerun: LE_MODEL_SEED=$seed LE_MODEL_SEEDS=1 prove -lv $0";
}
diag join ', ', map { "$seen{$_} $_" } sort keys %seen;
cmp_ok $seen{'I/O callbacks'} // 0, '>', 0, 'the runs dispatched I/O';
cmp_ok $seen{'cycles resumed after a die'} // 0, '>', 0, '... and resumed after dying callbacks';
done_testing;

sub pick (@list) { $list[int rand @list] }

sub run_model ($seed, $steps) {
    srand $seed;
    my $loop = Linux::Event->new;
    my @log;                    # callbacks as they run: r:SLOT w:SLOT k:COUNT t:ID
    my @history;                # the operations, for the failure report
    my @slot;                   # per slot: { a, b, open, w (object), m (model) }
    my %timer;                  # id => { key, action, state, admitted }
    my @timer_ids;
    my $seq = 0;
    my $wake_pending = 0;
    my @leftover;               # deliveries a dying callback left for the next cycle
    my $leftover_timers = 0;

    my $fail = sub ($msg) {
        my $from = @history > 25 ? @history - 25 : 0;
        die "step " . scalar(@history) . ": $msg\nlast operations:\n  "
            . join("\n  ", @history[$from .. $#history]) . "\n";
    };

    my $open_slot = sub ($i) {
        socketpair(my $a, my $b, Socket::AF_UNIX(), Socket::SOCK_STREAM(), Socket::PF_UNSPEC())
            or die "socketpair: $!";
        $_->blocking(0) for $a, $b;
        $slot[$i] = { a => $a, b => $b, open => 1, pending => 0 };
    };
    $open_slot->($_) for 0 .. $SLOTS - 1;

    my $waker = $loop->waker;
    $waker->on_wakeup(sub ($l, $n) { push @log, "k:$n" });

    my $new_timer;    # ($kind, $action) -> id
    my $timer_action = sub ($t) {
        my $act = $t->{action};
        if ($act eq 'at0' || $act eq 'after0') {
            $new_timer->($act eq 'at0' ? 'at0' : 'after0', 'none');
        } elsif ($act =~ /\Acancel:(\d+)\z/) {
            my $id = $1;
            my $want = $timer{$id}{state} eq 'pending';
            my $got = $loop->cancel($id) ? 1 : 0;
            $fail->("cancel($id) from a timer returned $got, model says $want") if $got != $want;
            $timer{$id}{state} = 'cancelled' if $want;
        } elsif ($act =~ /\Aunwatch:(\d+)\z/) {
            my $s = $slot[$1];
            my $want = $s->{m} && $s->{m}{active} ? 1 : 0;
            my $got = $s->{open} && $loop->unwatch($s->{a}) ? 1 : 0;
            $fail->("unwatch(slot $1) from a timer returned $got, model says $want") if $got != $want;
            $s->{m}{active} = 0 if $s->{m};
        } elsif ($act =~ /\Asend:(\d+)\z/) {
            my $s = $slot[$1];
            # (The slot's handle may have been closed earlier in this cycle.)
            $s->{pending}++ if $s->{open} && (syswrite($s->{b}, 'x') // 0) == 1;
        } elsif ($act eq 'die') {
            die "model-die\n";
        }
    };
    $new_timer = sub ($kind, $action) {
        my $t = { kind => $kind, action => $action, state => 'pending', seq => $seq++, admitted => 0 };
        my $id;
        my $cb = sub ($l) { push @log, "t:$id"; $t->{state} = 'fired'; $timer_action->($t) };
        $id = $kind eq 'at0' ? $loop->at(0, $cb) : $loop->after($kind eq 'after0' ? 0 : 1000, $cb);
        $timer{$id} = $t;
        push @timer_ids, $id;
        return $id;
    };

    my $watch = sub ($i) {
        my $s = $slot[$i];
        my $m = {
            active  => 1,
            read_on => rand() < 0.8 ? 1 : 0,
            write_on => rand() < 0.3 ? 1 : 0,
            oneshot => rand() < 0.3 ? 1 : 0,
            armed   => 1,
            ract    => pick(qw(consume consume consume leave close nowrite die)),
            wact    => pick(qw(none none off die)),
        };
        # The callbacks change the model as they change the loop, so that
        # timers later in the cycle see it as the loop does.
        my $read = sub ($l, $fh, $w) {
            push @log, "r:$i";
            my $act = $m->{ract};
            if ($act ne 'leave') { 1 while sysread($fh, my $buf, 4096); $s->{pending} = 0 }
            if ($act eq 'close') {
                close $fh;
                $s->{open} = 0;
                @$m{qw(active closed)} = (0, 1);
            } elsif ($act eq 'nowrite') {
                $w->disable_write;
                $m->{write_on} = 0;
                $m->{armed} = 1 if $m->{oneshot};
            } elsif ($act eq 'die') {
                die "model-die\n";
            }
        };
        my $write = sub ($l, $fh, $w) {
            push @log, "w:$i";
            if ($m->{wact} eq 'off') {
                $w->disable_write;
                $m->{write_on} = 0;
                $m->{armed} = 1 if $m->{oneshot};
            } elsif ($m->{wact} eq 'die') {
                die "model-die\n";
            }
        };
        my $obj = $loop->watch($s->{a}, read => $read, write => $write, oneshot => $m->{oneshot});
        $obj->disable_read unless $m->{read_on};
        $obj->disable_write unless $m->{write_on};
        $s->{m}{active} = 0 if $s->{m};    # replaced
        $s->{m} = $m;
        $s->{w} = $obj;
    };

    # One cycle: predict, run, compare, and apply to the model what ran.
    my $cycle = sub {
        my %pending_before = map { $_ => 1 } grep { $timer{$_}{state} eq 'pending' } keys %timer;
        $timer{$_}{admitted} = 1 for keys %pending_before;
        my @deliveries;
        my @leftover_was = @leftover;
        if (@leftover) {
            @deliveries = @leftover;    # the rest of the last wait: no new wait
            @leftover = ();
        } else {
            for my $i (0 .. $SLOTS - 1) {
                my $m = $slot[$i]{m};
                next unless $slot[$i]{open} && $m && $m->{active};
                next if $m->{oneshot} && !$m->{armed};
                my $in  = $m->{read_on} && $slot[$i]{pending} > 0;
                my $out = $m->{write_on};
                next unless $in || $out;
                $m->{armed} = 0 if $m->{oneshot};
                push @deliveries, { slot => $i, m => $m, in => $in, out => $out };
            }
            push @deliveries, { wake => 1 } if $wake_pending;
        }
        # What each delivery must run, with the watcher's switches as they
        # are when it is dispatched (a leftover may find them changed).
        my %expect;
        for my $d (@deliveries) {
            if ($d->{wake}) { $expect{wake} = ["k:$wake_pending"]; next }
            my ($i, $m) = @$d{qw(slot m)};
            next unless $slot[$i]{open} && $slot[$i]{m} == $m && $m->{active};
            my $read  = $d->{in} && $m->{read_on};
            my $write = $d->{out} && $m->{write_on}
                && !($read && $m->{ract} =~ /\A(close|nowrite|die)\z/);
            my @e = ((($read) ? "r:$i" : ()), (($write) ? "w:$i" : ()));
            $expect{$i} = \@e if @e;
        }

        @log = ();
        my $resumed = @leftover_was;
        my $ran = eval { $loop->run_once(0) };
        my $died = $@;
        $seen{cycles}++;
        $seen{'cycles resumed after a die'}++ if $resumed;
        $seen{'callbacks that died'}++ if $died;
        $fail->("run_once died with: $died") if $died && $died ne "model-die\n";
        my @io = grep { !/\At:/ } @log;
        my @timers_ran = map { /\At:(\d+)/ ? $1 : () } @log;
        $seen{'I/O callbacks'} += @io;
        $seen{'timer callbacks'} += @timers_ran;
        my $io_died = $died && !@timers_ran;

        my %got;
        for my $e (@io) {
            my $k = $e =~ /\Ak:/ ? 'wake' : ($e =~ /:(\d+)\z/)[0];
            push @{ $got{$k} }, $e;
        }
        for my $k (keys %got) {
            my $want = $expect{$k} // [];
            my $g = $got{$k};
            $fail->("cycle ran @$g for " . ($k eq 'wake' ? 'the waker' : "slot $k")
                    . ", model expects " . (@$want ? "@$want" : 'nothing'))
                if @$g > @$want || "@$g" ne join(' ', @{$want}[0 .. $#$g]);
        }
        my ($died_slot, $died_dir);
        if ($io_died) {
            my $last = $io[-1] // $fail->('run_once died but no callback ran');
            ($died_dir, $died_slot) = $last =~ /\A([rw]):(\d+)\z/
                or $fail->("run_once died after $last");
            my $m = $slot[$died_slot]{m};
            ($died_dir eq 'r' ? $m->{ract} : $m->{wact}) eq 'die'
                or $fail->("run_once died after $last, whose callback does not die");
        }
        for my $k (keys %expect) {
            next if $io_died && ($k eq $died_slot || !$got{$k});
            $fail->("cycle ran " . join(' ', @{ $got{$k} // [] }) . " of @{ $expect{$k} }")
                if @{ $got{$k} // [] } < @{ $expect{$k} };
        }
        # What a dying callback left for the next cycle.
        for my $d (@deliveries) {
            if ($d->{wake}) {
                if ($got{wake}) { $wake_pending = 0 } elsif ($io_died) { push @leftover, $d }
                next;
            }
            my $i = $d->{slot};
            my $g = $got{$i} // [];
            if (!@$g) {
                push @leftover, $d if $io_died;
                next;
            }
            push @leftover, { %$d, in => 0 }
                if $io_died && $i == $died_slot && $died_dir eq 'r' && $d->{out};
        }
        return if $io_died;

        # Timers due in this cycle: those pending when it began (at(0) and
        # after(0)), by deadline (at(0) is the earliest), then in the order
        # they were scheduled; one cancelled by an earlier one is skipped; a
        # die ends the cycle.
        my @candidates = sort {
            ($timer{$a}{kind} eq 'after0') <=> ($timer{$b}{kind} eq 'after0')
                || $timer{$a}{seq} <=> $timer{$b}{seq}
        } grep { $timer{$_}{kind} ne 'far' } keys %pending_before;
        my (@expect_t, %cancelled);
        for my $id (@candidates) {
            next if $cancelled{$id};
            push @expect_t, $id;
            last if $timer{$id}{action} eq 'die';
            $cancelled{$1} = 1 if $timer{$id}{action} =~ /\Acancel:(\d+)\z/;
        }
        $fail->("timers ran (@timers_ran), model expects (@expect_t)") if "@timers_ran" ne "@expect_t";
        my $n = @io + @timers_ran;
        $fail->("run_once returned $ran, but $n callbacks ran") if !$died && $ran != $n;
        $fail->('run_once died, but no callback that dies ran')
            if $died && $timer{ $timers_ran[-1] }{action} ne 'die';
    };

    my $check_getters = sub {
        for my $i (0 .. $SLOTS - 1) {
            my ($s, $m) = ($slot[$i], $slot[$i]{m});
            next unless $s->{w};
            my $active = $s->{open} && $m->{active} ? 1 : 0;
            my $got = $s->{w}->is_active;
            $fail->("slot $i: is_active $got, model says $active") if $got != $active;
            my $want_r = $active ? $m->{read_on} : 0;
            my $got_r = $s->{w}->read_enabled;
            $fail->("slot $i: read_enabled $got_r, model says $want_r") if $got_r != $want_r;
        }
    };

    my %ops = (
        watch => sub { my $i = int rand $SLOTS; return unless $slot[$i]{open}; $watch->($i); "watch slot $i" },
        unwatch => sub {
            my $i = int rand $SLOTS;
            my $s = $slot[$i];
            my $want = $s->{open} && $s->{m} && $s->{m}{active} ? 1 : 0;
            my $got = $loop->unwatch($s->{a}) ? 1 : 0;
            $fail->("unwatch slot $i returned $got, model says $want") if $got != $want;
            $s->{m}{active} = 0 if $s->{m};
            "unwatch slot $i";
        },
        cancel_watcher => sub {
            my $i = int rand $SLOTS;
            my $s = $slot[$i];
            return unless $s->{w};
            my $want = $s->{open} && $s->{m}{active} ? 1 : 0;
            my $got = $s->{w}->cancel ? 1 : 0;
            # A closed handle's watcher may still be registered: cancel
            # then removes it (true), or the loop purged it already (false).
            $fail->("watcher cancel slot $i returned $got, model says $want")
                if $got != $want && !$s->{m}{closed};
            $s->{m}{active} = 0;
            "watcher cancel slot $i";
        },
        toggle => sub {
            my $i = int rand $SLOTS;
            my $s = $slot[$i];
            return unless $s->{w};
            my $op = pick(qw(enable_read disable_read enable_write disable_write));
            $s->{w}->$op;
            my $m = $s->{m};
            if ($s->{open} && $m->{active}) {
                $m->{read_on} = $op eq 'enable_read' ? 1 : $op eq 'disable_read' ? 0 : $m->{read_on};
                $m->{write_on} = $op eq 'enable_write' ? 1 : $op eq 'disable_write' ? 0 : $m->{write_on};
                $m->{armed} = 1 if $m->{oneshot};
            }
            "$op slot $i";
        },
        send => sub {
            my $i = int rand $SLOTS;
            my $s = $slot[$i];
            return unless $s->{open};
            syswrite($s->{b}, 'x') == 1 or die "send: $!";
            $s->{pending}++;
            "send slot $i";
        },
        close => sub {
            my $i = int rand $SLOTS;
            my $s = $slot[$i];
            return unless $s->{open};
            close $s->{a};
            $s->{open} = 0;
            @{ $s->{m} }{qw(active closed)} = (0, 1) if $s->{m};
            "close slot $i without unwatch";
        },
        reopen => sub {
            my $i = int rand $SLOTS;
            return if $slot[$i]{open};
            my $old = $slot[$i];
            $open_slot->($i);
            $slot[$i]{w} = $old->{w};    # the old watcher, to check it stays inactive
            $slot[$i]{m} = $old->{m};
            "reopen slot $i (fd " . fileno($slot[$i]{a}) . ")";
        },
        timer => sub {
            my $kind = pick(qw(at0 after0 after0 far));
            my @actions = ('none', 'none', 'at0', 'after0', 'die', 'send:' . int(rand $SLOTS),
                'unwatch:' . int(rand $SLOTS));
            if (@timer_ids) { push @actions, 'cancel:' . pick(@timer_ids) for 1 .. 2 }
            my $action = pick(@actions);
            my $id = $new_timer->($kind, $action);
            "timer $id: $kind, then $action";
        },
        cancel => sub {
            return unless @timer_ids;
            my $id = pick(@timer_ids);
            my $want = $timer{$id}{state} eq 'pending' ? 1 : 0;
            my $got = $loop->cancel($id) ? 1 : 0;
            $fail->("cancel($id) returned $got, model says $want") if $got != $want;
            $timer{$id}{state} = 'cancelled' if $want;
            "cancel timer $id";
        },
        wake => sub { $waker->signal; $wake_pending++; 'wake' },
        run_once => sub { $cycle->(); 'run_once(0) -> ' . join(' ', @log) },
    );
    my @weighted = ((('run_once') x 8), (('send') x 3), (('timer') x 4), (('watch') x 3), (('toggle') x 3),
        qw(unwatch cancel_watcher close reopen reopen cancel cancel wake));

    my $err;
    eval {
        for (1 .. $steps) {
            # After an I/O callback died, the next cycle finishes that wait's
            # events first.  Whether an event that no longer has a callback
            # (its watcher changed in between) was before or after the one
            # that died cannot be seen, so nothing changes in between.
            my $name = @leftover ? 'run_once' : pick(@weighted);
            my $what = $ops{$name}->();
            push @history, $what if defined $what;
            $check_getters->();
        }
        # Let every leftover run out, then the loop must be idle.
        for (1 .. 5) { push @history, $ops{run_once}->() }
        1;
    } or $err = $@;
    return $err;
}
