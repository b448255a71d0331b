package BenchHarness;

# Shared parts of the per-implementation benchmark scripts
# (bench/lib/impl_*.pl). The application work of every workload is written
# once, here: the callbacks the loops call, what they count, and the order in
# which a workload is set up, timed, run and checked. An implementation
# script only says how its loop does a few things (see run_impl and
# "Loop adapters" below). This module also handles the command line, the
# clocks, the sockets, the announcer thread/process for the wake workloads,
# and the one-line RESULT report read by bench/run.
#
# Core modules only.

use strict;
use warnings;
use Exporter 'import';
use POSIX ();
use Socket qw(AF_UNIX SOCK_STREAM PF_UNSPEC);
use IO::Handle ();
use Time::HiRes qw(clock_gettime CLOCK_MONOTONIC CLOCK_PROCESS_CPUTIME_ID
                   CLOCK_THREAD_CPUTIME_ID);

our @EXPORT = qw(run_impl workload_table meter socket_pair idle_handles rss_bytes
                 timer_delays announcer
                 timer_many_callback pingpong_callbacks wake_callback
                 ioasync_api mojo_api);

# run_impl(name => 'ev', modules => [...], check => sub {...}, info => sub {...},
#          loop => sub {...}, waker => sub {...})      # a loop (see below)
# run_impl(name => 'raw', info => sub {...},
#          workloads => { 'timer-chain' => sub ($n, \%opt) {...}, ... })
#
# Command line: impl_x.pl <workload> <n> [key=value ...]
# Prints one line: RESULT status=ok|missing|na|fail key=value ...
# A workload returns a list of key => value pairs; it must include
# ops, wall and cpu (seconds); meter() provides wall, cpu and loop_cpu.
sub run_impl {
    my (%spec) = @_;
    my ($workload, $n, @kv) = @ARGV;
    die "usage: $0 <workload> <n> [key=value ...]\n"
        unless defined $n && $n =~ /^\d+$/;
    my %opt = map { split /=/, $_, 2 } @kv;

    my $table = $spec{workloads} || loop_workloads(\%spec);
    my $code = $table->{$workload};
    return report(status => 'na') unless $code;

    for my $m (@{ $spec{modules} || [] }) {
        return report(status => 'missing', missing => $m) unless have_module($m);
    }
    if (my $check = $spec{check}) {           # a deeper availability check
        my $why = $check->(\%opt);
        return report(status => 'missing', missing => $why) if defined $why;
    }

    my @r = eval {
        my %r = my @r = $code->($n, \%opt);
        # a loop that stops early must not look fast
        die "only $r{ops} of $n operations done\n" if defined $r{ops} && $r{ops} != $n;
        die "$r{fired} timers fired, expected ${\ int(($n + 1) / 2)}\n"
            if defined $r{fired} && $r{fired} != int(($n + 1) / 2);
        @r;
    };
    if (!@r) {
        my $err = $@ || "workload returned nothing\n";
        print STDERR $err;
        report(status => 'fail');
        exit 1;
    }
    report(status => 'ok', n => $n, info => ($spec{info} ? $spec{info}->(\%opt) : ''), @r);
}

# The table of workloads, from one sub per kind of work:
#   chain    => sub ($n)                  timer-chain
#   many     => sub ($n)                  timer-many
#   pingpong => sub ($n, $idle_fds)       pipe-pingpong, idle-fds
#   wake     => sub ($kind, $n, $latency, \%opt)
#                                         wake-thread, wake-fork, wake-latency
#   memory   => sub ($n, \%opt)           memory (optional)
sub workload_table {
    my (%w) = @_;
    return {
        'timer-chain'   => sub { $w{chain}->($_[0]) },
        'timer-many'    => sub { $w{many}->($_[0]) },
        'pipe-pingpong' => sub { $w{pingpong}->($_[0], 0) },
        'idle-fds'      => sub { $w{pingpong}->($_[0], $_[1]{fds}) },
        'wake-thread'   => sub { $w{wake}->('thread', $_[0], 0, $_[1]) },
        'wake-fork'     => sub { $w{wake}->('fork',   $_[0], 0, $_[1]) },
        'wake-latency'  => sub { $w{wake}->('thread', $_[0], 1, $_[1]) },
        ($w{memory} ? (memory => $w{memory}) : ()),
    };
}

sub report {
    my (@kv) = @_;
    my @out;
    while (my ($k, $v) = splice @kv, 0, 2) {
        $v = '' unless defined $v;
        $v =~ s/([%\s])/sprintf('%%%02X', ord $1)/ge;   # one token per value
        push @out, "$k=$v";
    }
    local $| = 1;
    print "RESULT @out\n";
    return;
}

sub have_module {
    my ($module) = @_;
    (my $file = "$module.pm") =~ s{::}{/}g;
    return 1 if $INC{$file};
    for my $dir (@INC) {
        next if ref $dir;
        return 1 if -f "$dir/$file";
    }
    return 0;
}

# my $m = meter(); ...timed work...; my %t = $m->();
# wall: monotonic seconds; cpu: user+sys of the whole process (all threads);
# loop_cpu: user+sys of the calling (loop) thread only.
sub meter {
    my @t0 = (clock_gettime(CLOCK_MONOTONIC),
              clock_gettime(CLOCK_PROCESS_CPUTIME_ID),
              clock_gettime(CLOCK_THREAD_CPUTIME_ID));
    return sub {
        my @t1 = (clock_gettime(CLOCK_MONOTONIC),
                  clock_gettime(CLOCK_PROCESS_CPUTIME_ID),
                  clock_gettime(CLOCK_THREAD_CPUTIME_ID));
        return (wall     => $t1[0] - $t0[0],
                cpu      => $t1[1] - $t0[1],
                loop_cpu => $t1[2] - $t0[2]);
    };
}

# A connected pair of blocking AF_UNIX stream sockets.
sub socket_pair {
    socketpair(my $x, my $y, AF_UNIX, SOCK_STREAM, PF_UNSPEC)
        or die "socketpair: $!\n";
    return ($x, $y);
}

# Up to $want extra descriptors (both ends of socketpairs) that never become
# readable. Fewer when the fd limit does not allow it: the caller reports
# scalar(@$handles) as the real count.
sub idle_handles {
    my ($want) = @_;
    $want ||= 0;
    my $limit = POSIX::sysconf(POSIX::_SC_OPEN_MAX()) || 1024;
    my $room = $limit - 64;                   # keep some for everything else
    my $count = $want < $room ? $want : $room;
    $count -= $count % 2;
    my @fh;
    for (1 .. $count / 2) {
        push @fh, socket_pair();
    }
    return \@fh;
}

# Resident set size of this process in bytes (VmRSS of /proc/self/status).
sub rss_bytes {
    open my $fh, '<', '/proc/self/status' or die "/proc/self/status: $!\n";
    while (<$fh>) {
        return $1 * 1024 if /^VmRSS:\s+(\d+)\s+kB/;
    }
    die "no VmRSS in /proc/self/status\n";
}

# The same pseudo-random delays in [0, 10 ms] for every implementation.
sub timer_delays {
    my ($n) = @_;
    srand(20240505);
    return [ map { rand(0.010) } 1 .. $n ];
}

# The announcer for the wake workloads: an ithread or a forked child that,
# after a "go", announces work $n times and waits for one ack byte each time.
#
#   my $A = announcer(kind => 'thread'|'fork', n => $n,
#                     signal  => sub {...},  # optional; default: self-pipe
#                     latency => 1);         # thread only: timestamps
#
# Returns a hash:
#   r      read end of the self-pipe (undef when a signal sub was given);
#          the loop watches it and reads what is there in the callback
#   ack    write end of the ack pipe: the callback writes one byte to it
#   mark   undef, or (latency => 1) a sub the callback calls first thing:
#          it records now - the announcer's timestamp
#   go     sub: let the announcer start
#   finish sub(%t): wait for the announcer; returns %t with the announcer's
#          CPU added to cpu (fork) and p50_us/p99_us (latency)
sub announcer {
    my (%a) = @_;
    my ($kind, $n) = @a{qw(kind n)};
    die "announcer kind must be thread or fork\n"
        unless $kind && $kind =~ /^(?:thread|fork)$/;

    my ($r, $w, $signal) = (undef, undef, $a{signal});
    if (!$signal) {
        pipe($r, $w) or die "pipe: $!\n";
        $signal = sub { syswrite($w, "x", 1) == 1 or die "self-pipe write: $!\n" };
    }
    pipe(my $ack_r, my $ack_w) or die "pipe: $!\n";

    my (%h, $t0, @lat);
    if ($kind eq 'thread') {
        require threads;
        threads->import;
        if ($a{latency}) {
            require threads::shared;
            threads::shared->import;
            $t0 = 0;
            threads::shared::share(\$t0);
            $#lat = $n - 1;
            @lat = ();
            $h{mark} = sub { push @lat, clock_gettime(CLOCK_MONOTONIC) - $t0 };
        }
    }
    elsif ($a{latency}) {
        die "latency is measured with the thread announcer only\n";
    }

    my $body = sub {
        sysread($ack_r, my $b, 1) == 1 or die "go read: $!\n";
        for (1 .. $n) {
            $t0 = clock_gettime(CLOCK_MONOTONIC) if $h{mark};
            $signal->();
            sysread($ack_r, $b, 1) == 1 or die "ack read: $!\n";
        }
    };

    if ($kind eq 'thread') {
        my $thr = threads->create($body);
        $h{finish} = sub {
            my (%t) = @_;
            $thr->join;
            if (my $e = $thr->error) { die "announcer thread: $e" }
            return (%t, latency_stats(\@lat));
        };
    }
    else {
        pipe(my $res_r, my $res_w) or die "pipe: $!\n";
        my $pid = fork // die "fork: $!\n";
        if (!$pid) {
            close $res_r;
            my $ok = eval {
                $body->();
                my $cpu = clock_gettime(CLOCK_PROCESS_CPUTIME_ID);
                syswrite($res_w, sprintf("%.9f\n", $cpu));
                1;
            };
            print STDERR "announcer child: $@" unless $ok;
            POSIX::_exit($ok ? 0 : 1);        # no destructors in the child
        }
        close $res_w;
        # The child's CPU before "go" is nothing but the fork itself; its total
        # is reported, which slightly overstates the announcer's share.
        $h{finish} = sub {
            my (%t) = @_;
            my $line = <$res_r>;
            waitpid($pid, 0);
            die "announcer child failed (status $?)\n" if $? || !defined $line;
            $t{cpu} += $line;
            return %t;
        };
    }
    $h{go}  = sub { syswrite($ack_w, "g", 1) == 1 or die "go write: $!\n" };
    $h{r}   = $r;
    $h{ack} = $ack_w;
    return \%h;
}

sub latency_stats {
    my ($lat) = @_;
    return () unless @$lat;
    my @s = sort { $a <=> $b } @$lat;
    my $pick = sub { $s[ int($_[0] * $#s + 0.5) ] * 1e6 };
    return (p50_us => $pick->(0.50), p99_us => $pick->(0.99));
}

# ---- The callbacks --------------------------------------------------------
#
# Every implementation, the raw floor included, registers these closures with
# its loop (or calls them) directly: no sub is put between the loop and them.
# They do not unpack their arguments (Linux::Event passes $loop, $fh, $watcher).
# $stop is called once, when the work is done. Each returns a reference to
# its count, read after the run.

# timer-many: a timer callback that stops once half of $n timers have fired.
sub timer_many_callback {
    my ($n, $stop) = @_;
    my $half = int(($n + 1) / 2);
    my $fired = 0;
    return (sub { $stop->() if ++$fired == $half }, \$fired);
}

# pingpong: A ($a) has written one byte; B's callback echoes it; A's reads it
# and writes again, $n round trips in all. Returns (\$count, $on_a, $on_b).
sub pingpong_callbacks {
    my ($a, $b, $n, $stop) = @_;
    my $count = 0;
    my $on_b = sub { sysread($b, my $buf, 1); syswrite($b, $buf, 1) };
    my $on_a = sub {
        sysread($a, my $buf, 1);
        if (++$count < $n) { syswrite($a, $buf, 1) } else { $stop->() }
    };
    return (\$count, $on_a, $on_b);
}

# wake: the callback for one announcement of announcer $A: the latency mark
# first, then (self-pipe $r given) read what is in the pipe, then the ack.
# Without $r the wait has already consumed the wakeup (an eventfd drained by
# the loop, or the raw floor's blocking read).
sub wake_callback {
    my ($A, $n, $stop, $r) = @_;
    my ($ack, $mark) = @$A{qw(ack mark)};
    my $got = 0;
    my $cb = $r
        ? sub {
            $mark->() if $mark;
            sysread($r, my $buf, 64);
            syswrite($ack, "a", 1);
            $stop->() if ++$got == $n;
        }
        : sub {
            $mark->() if $mark;
            syswrite($ack, "a", 1);
            $stop->() if ++$got == $n;
        };
    return ($cb, \$got);
}

# ---- Loop adapters --------------------------------------------------------
#
# A loop's script passes run_impl
#
#   loop  => sub { ... }   makes a loop (and loads its modules: it is called
#                          after the announcer of a wake workload has started)
#                          and returns a hash:
#       loop        the loop object, if any: $loop in the texts below
#       after       Perl text of "a timer in %s seconds calling %s", e.g.
#                   '$loop->after(%s, %s)'; its value is what cancel takes
#       cancel      Perl text of "cancel timer %s", e.g. 'undef %s'
#       hold_timers 1 if a timer lives only while its handle is held
#       watch_read  sub ($fh, $cb): watch $fh for reading (level-triggered);
#                   returns what must be kept for the watch to last, or ()
#       run         sub: run the loop until stop
#       stop        sub: stop it (called from a callback)
#       ready       optional sub, called just before a timer workload's clock
#                   starts
#   waker => sub ($L)      optional: the loop's own wakeup mechanism, used by
#                          the wake workloads unless selfpipe=1; returns
#                          (signal sub for the announcer, sub ($cb) that sets
#                          the callback)
#
# after and cancel are text, not subs, because they are called inside the
# timed work (timer-chain's callback, timer-many's loops): the harness compiles
# them into that code, so every loop is called exactly as a user would call
# it, with no extra sub call per timer.

# The loop API (see run_impl) of an IO::Async loop and of Mojo::IOLoop,
# shared by the runs against other loops (impl_*.pl) and the framework
# comparisons (fw_*.pl).  watch_io returns nothing to keep; timers return an
# id that is kept.
sub ioasync_api {
    my ($loop) = @_;
    return {
        loop       => $loop,
        after      => '$loop->watch_time(after => %s, code => %s)',
        cancel     => '$loop->unwatch_time(%s)',
        watch_read => sub { $loop->watch_io(handle => $_[0], on_read_ready => $_[1]); return },
        run        => sub { $loop->run },
        stop       => sub { $loop->stop },
    };
}

# io() starts watching for reading and writing; keep reading only.
sub mojo_api {
    require Mojo::IOLoop;
    my $loop    = Mojo::IOLoop->singleton;
    my $reactor = $loop->reactor;
    return {
        loop       => $loop,
        after      => '$loop->timer(%s => %s)',
        cancel     => '$loop->remove(%s)',
        watch_read => sub { $reactor->io($_[0] => $_[1])->watch($_[0], 1, 0); return },
        run        => sub { $loop->start },
        stop       => sub { $loop->stop },
    };
}

# The Perl text $src with AFTER(secs, cb) and CANCEL(handle) written the way
# loop $L does them.
sub loop_code {
    my ($L, $src) = @_;
    $src =~ s{\bAFTER\(([^(),]+),\s*([^(),]+)\)}{sprintf $L->{after}, $1, $2}ge;
    $src =~ s{\bCANCEL\(([^()]+)\)}{sprintf $L->{cancel}, $1}ge;
    return $src;
}

sub loop_workloads {
    my ($S) = @_;
    return workload_table(
        chain    => sub { loop_timer_chain($S, @_) },
        many     => sub { loop_timer_many($S, @_) },
        pingpong => sub { loop_pingpong($S, @_) },
        wake     => sub { loop_wake($S, @_) },
        memory   => sub { loop_memory($S, @_) },
    );
}

sub loop_timer_chain {
    my ($S, $n) = @_;
    my $L = $S->{loop}->();
    my ($loop, $stop) = @$L{qw(loop stop)};
    my ($i, $w, $cb) = (0);
    my $keep = $L->{hold_timers} ? '$w = ' : '';
    $cb = eval loop_code($L, "sub { if (++\$i < \$n) { ${keep}AFTER(0, \$cb) } else { \$stop->() } }")
        or die $@;
    my $first = eval loop_code($L, "sub { ${keep}AFTER(0, \$cb) }") or die $@;
    $L->{ready}->() if $L->{ready};
    my $m = meter();
    $first->();
    $L->{run}->();
    return (ops => $i, $m->());
}

# The same pseudo-random delays everywhere; every other timer is cancelled.
sub loop_timer_many {
    my ($S, $n) = @_;
    my $L = $S->{loop}->();
    my $loop = $L->{loop};
    my $d = timer_delays($n);
    my ($cb, $fired) = timer_many_callback($n, $L->{stop});
    my @t;
    $#t = $n - 1;
    my $arm = eval loop_code($L, q{ sub {
        $t[$_] = AFTER($d->[$_], $cb) for 0 .. $n - 1;
        for (my $i = 1; $i < $n; $i += 2) { CANCEL($t[$i]) }   # cancel half
    } }) or die $@;
    $L->{ready}->() if $L->{ready};
    my $m = meter();
    $arm->();
    $L->{run}->();
    return (ops => $n, fired => $$fired, $m->());
}

# With $want_fds idle descriptors watched too, whose callback must never run.
sub loop_pingpong {
    my ($S, $n, $want_fds) = @_;
    my $idle = idle_handles($want_fds);
    my $L = $S->{loop}->();
    my $watch_read = $L->{watch_read};
    my $never = sub { die "an idle fd fired\n" };
    my @keep = map { $watch_read->($_, $never) } @$idle;
    my ($a, $b) = socket_pair();
    my ($count, $on_a, $on_b) = pingpong_callbacks($a, $b, $n, $L->{stop});
    push @keep, $watch_read->($b, $on_b), $watch_read->($a, $on_a);
    my $m = meter();
    syswrite($a, "x", 1);
    $L->{run}->();
    return (ops => $$count, fds => scalar @$idle, $m->());
}

# Self-pipe: the announcer starts first (so the thread holds no clone of the
# loop), the loop watches the pipe and the callback reads it. The loop's own
# waker: the loop and its waker exist before the announcer, which signals
# through its copy; the loop drains the wakeup itself.
sub loop_wake {
    my ($S, $kind, $n, $latency, $opt) = @_;
    my ($A, $L, $cb, $got, @keep);
    if ($S->{waker} && !$opt->{selfpipe}) {
        $L = $S->{loop}->();
        my ($signal, $on_wakeup) = $S->{waker}->($L);
        $A = announcer(kind => $kind, n => $n, latency => $latency, signal => $signal);
        ($cb, $got) = wake_callback($A, $n, $L->{stop});
        $on_wakeup->($cb);
    }
    else {
        $A = announcer(kind => $kind, n => $n, latency => $latency);
        $L = $S->{loop}->();
        ($cb, $got) = wake_callback($A, $n, $L->{stop}, $A->{r});
        @keep = $L->{watch_read}->($A->{r}, $cb);
    }
    my $m = meter();
    $A->{go}->();
    $L->{run}->();
    return $A->{finish}->(ops => $$got, $m->());
}

# RSS per idle read watcher (on fds opened beforehand) and per pending timer,
# keeping what the API returns (watcher object, guard or id) in a pre-sized
# array, as a user must.
sub loop_memory {
    my ($S, $n, $opt) = @_;
    my $fhs = idle_handles($opt->{fds});
    my $L = $S->{loop}->();
    my ($loop, $watch_read) = @$L{qw(loop watch_read)};
    my $cb = sub { };
    my (@w, @t);
    $#w = $#$fhs;
    @w = ();                                  # keeps the room
    $#t = $n - 1;
    my $arm = eval loop_code($L, q{ sub { $t[$_] = AFTER(1000, $cb) for 0 .. $n - 1 } })
        or die $@;
    my $r0 = rss_bytes();
    push @w, $watch_read->($_, $cb) for @$fhs;
    my $r1 = rss_bytes();
    $arm->();
    my $r2 = rss_bytes();
    return (ops => $n, watchers => scalar @$fhs,
            watcher_bytes => @$fhs ? ($r1 - $r0) / @$fhs : 0,
            timer_bytes   => ($r2 - $r1) / $n);
}

1;
