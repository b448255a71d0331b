package BenchHarness;

# Shared plumbing for the per-implementation benchmark scripts
# (bench/lib/impl_*.pl). An implementation script calls run_impl() with its
# workloads written natively against its own loop API; this module handles
# the command line, the clocks, the sockets, the announcer thread/process for
# the wake workloads, and the one-line RESULT report read by bench/run.
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

our @EXPORT = qw(run_impl meter socket_pair idle_handles rss_bytes
                 timer_delays announcer);

# run_impl(name => 'ev', modules => [...], info => sub {...},
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

    my $code = $spec{workloads}{$workload};
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

1;
