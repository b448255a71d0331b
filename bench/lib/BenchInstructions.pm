package BenchInstructions;

# The deterministic half of bench/run: user-space instructions per operation,
# counted by valgrind's callgrind (a simulated CPU: no other process, cache
# or frequency change moves the count), for the loop and for the no-loop
# floor. Each implementation x workload runs twice in a fresh perl, with N
# and with 6 N operations; the difference of the two totals divided by 5 N
# is the cost of one operation, with perl's start-up, the module loads and
# the workload's setup (10 000 idle watchers included) cancelled out.
# System calls count as the few instructions of their libc wrapper: the
# kernel's side is outside callgrind's view.
#
# Core modules only.

use strict;
use warnings;
use Exporter 'import';
use POSIX ();

our @EXPORT_OK = qw(have_valgrind measure_instructions instruction_tables);

# The workloads measured and their N for a full and a --quick run.
our @WORKLOADS = (
    { name => 'timer-chain',   n => 2_000, quick => 200 },
    { name => 'pipe-pingpong', n => 2_000, quick => 200 },
    { name => 'idle-fds',      n => 2_000, quick => 200,
      args => { fds => 10_000 }, quick_args => { fds => 200 } },
);
our @IMPLS = qw(raw ours ev);
my $FACTOR = 6;                   # the long run does FACTOR x N operations

sub have_valgrind {
    for my $dir (split /:/, $ENV{PATH} || '') {
        return "$dir/valgrind" if -x "$dir/valgrind";
    }
    return undef;
}

# Instructions one run of `@cmd` executed (callgrind's "Collected" total)
# and the RESULT line's fields, or (undef, why).
sub count_run {
    my ($valgrind, @cmd) = @_;
    my ($log, $out) = ("/tmp/bench-callgrind-$$.log", "/tmp/bench-callgrind-$$.out");
    my $pid = fork // die "fork: $!\n";
    if (!$pid) {
        open STDOUT, '>', $out or POSIX::_exit(127);
        open STDERR, '>', $log or POSIX::_exit(127);
        # the same hash order in every run: the count must not depend on it
        @ENV{qw(PERL_HASH_SEED PERL_PERTURB_KEYS)} = (0, 0);
        # as many fds as the hard limit allows, as bench/run does (idle-fds)
        exec 'sh', '-c', 'ulimit -n 30000 2>/dev/null || ulimit -n "$(ulimit -H -n)" 2>/dev/null; exec "$@"',
            'sh', $valgrind, '--tool=callgrind', '--callgrind-out-file=/dev/null', @cmd
            or POSIX::_exit(127);
    }
    waitpid $pid, 0;
    my $status = $?;
    my ($text, $result) = map { slurp($_) } $log, $out;
    unlink $log, $out;
    my ($n) = $text =~ /Collected\s*:\s*(\d+)/;
    my ($line) = $result =~ /^RESULT (.*)$/m;
    my %r = map { split /=/, $_, 2 } split ' ', $line // '';
    return (undef, "exit status $status") if $status || !defined $n || ($r{status} // '') ne 'ok';
    return ($n, \%r);
}

sub slurp {
    open my $fh, '<', $_[0] or return '';
    local $/;
    return <$fh> // '';
}

# Instructions per operation of one implementation on one workload:
# { per_op => ..., n => N, fds => idle fds watched } or { error => ... }.
sub measure_instructions {
    my (%a) = @_;       # bench, inc, perl, impl, workload, n, args
    my $valgrind = have_valgrind() or return { error => 'valgrind not installed' };
    my @base = ($a{perl}, @{ $a{inc} }, "$a{bench}/lib/impl_$a{impl}.pl", $a{workload});
    my @args = map { "$_=$a{args}{$_}" } sort keys %{ $a{args} || {} };
    my (@t, $r);
    for my $n ($a{n}, $FACTOR * $a{n}) {
        (my $c, $r) = count_run($valgrind, @base, $n, @args);
        return { error => $r } unless defined $c;
        push @t, $c;
    }
    return { n => $a{n}, fds => $r->{fds}, per_op => ($t[1] - $t[0]) / (($FACTOR - 1) * $a{n}) };
}

# Measures everything and returns ([title, header, rows...] per workload,
# plus the ratios: { workload => ours above floor / EV's }).
sub instruction_tables {
    my (%a) = @_;       # bench, inc, quick, progress (sub)
    my (@tables, %ratio);
    for my $wl (@WORKLOADS) {
        my $n = $a{quick} ? $wl->{quick} : $wl->{n};
        my $args = ($a{quick} ? $wl->{quick_args} : $wl->{args}) || {};
        my %r;
        for my $impl (@IMPLS) {
            $a{progress}->("$wl->{name} $impl") if $a{progress};
            $r{$impl} = measure_instructions(%a, perl => $^X, impl => $impl,
                                             workload => $wl->{name}, n => $n, args => $args);
        }
        my $floor = $r{raw}{per_op};
        my $above = sub { my $x = $r{ $_[0] }{per_op}; defined $x && defined $floor ? $x - $floor : undef };
        my $ev = $above->('ev');
        my @rows;
        for my $impl (@IMPLS) {
            if (my $e = $r{$impl}{error}) { push @rows, [$impl, "FAILED: $e"]; next }
            my $ab = $above->($impl);
            my $x = defined $ab && $ev && $impl ne 'raw' ? $ab / $ev : undef;
            $ratio{ $wl->{name} } = $x if $impl eq 'ours';
            push @rows, [$impl, sprintf('%.0f', $r{$impl}{per_op}),
                         defined $ab ? sprintf('%.0f', $ab) : '-',
                         defined $x ? sprintf('%.2f', $x) : '-'];
        }
        my $fds = $r{ours}{fds} // $r{ev}{fds};      # as many as the fd limit allowed
        my $what = join ', ', "N=$n and " . $FACTOR * $n,
            map { "$_=" . ($_ eq 'fds' && defined $fds ? $fds : $args->{$_}) } sort keys %$args;
        push @tables, ["$wl->{name}: user-space instructions per operation, callgrind ($what)",
                       ['implementation', 'instr/op', 'loop instr above floor', 'above floor ×EV'],
                       @rows];
    }
    return (\@tables, \%ratio);
}

1;
