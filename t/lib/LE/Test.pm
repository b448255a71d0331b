package LE::Test;
# Helpers shared by the tests in t/. Core modules only. It loads nothing
# heavy up front (POSIX, Socket and IO::Handle are required when needed) and
# never loads Test::More itself: the assertion helpers call Test::More's
# functions, which the test script has loaded. That keeps it cheap for the
# thread runner of t/69-leaks-threads.t, which must not load Test::More.
use v5.36;
use Exporter 'import';
use Time::HiRes qw(clock_gettime CLOCK_MONOTONIC);
use Scalar::Util qw(refaddr);

our @EXPORT_OK = qw(
    now run_until run_for
    croaks croaks_here same_ref
    new_pipe new_socketpair fd_open pipe_works fd_count status_kb rss_kb
    is_blocked sig_masks is_caught is_ignored send_at kill_me_later have_pidfd
    in_child report read_report $REPORT status_text run_with_timeout
);

our $REPORT;    # in a child of in_child: the pipe that report() writes to

# Monotonic time in seconds.
sub now () { clock_gettime(CLOCK_MONOTONIC) }

# Run $loop's cycles until $cond->() is true (1) or $timeout seconds have passed (0).
sub run_until ($loop, $cond, $timeout = 5) {
    my $deadline = now() + $timeout;
    until ($cond->()) {
        my $left = $deadline - now();
        return 0 if $left <= 0;
        $loop->run_once($left < 0.05 ? $left : 0.05);
    }
    return 1;
}

# Run $loop's cycles for about $secs seconds, whatever happens.
sub run_for ($loop, $secs) {
    my $deadline = now() + $secs;
    while ((my $left = $deadline - now()) > 0) {
        $loop->run_once($left < 0.05 ? $left : 0.05);
    }
}

# $code must croak with $re, reported at the caller's file and line (keep the call on one line).
sub croaks ($code, $re, $name) {
    my (undef, $file, $line) = caller;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $ok  = eval { $code->(); 1 };
    my $err = $@;
    Test::More::ok(!$ok, "$name: croaks");
    Test::More::like($err, $re, "$name: message says what is wrong");
    Test::More::like($err, qr/ at \Q$file\E line $line\b/, "$name: reported at the caller's line");
    return $err;
}

# $err names the problem ($re) and ends " at FILE line $line." (FILE: the caller's file).
sub croaks_here ($err, $re, $line, $name) {
    my $file = (caller)[1];
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    Test::More::like($err, $re, "$name: message");
    Test::More::like($err, qr/ at \Q$file\E line $line\.?\n?\z/,
        "$name: reported at the caller's line ($line)");
}

# $got and $want are references to the same thing.
sub same_ref ($got, $want, $name) {
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    Test::More::ok(ref($got) && ref($want) && refaddr($got) == refaddr($want), $name)
        or Test::More::diag("got " . ($got // 'undef') . ", want $want");
}

# A non-blocking pipe with an autoflushed write end: ($r, $w).
sub new_pipe () {
    require IO::Handle;
    pipe(my $r, my $w) or die "pipe: $!";
    $w->autoflush(1);
    $r->blocking(0);
    $w->blocking(0);
    return ($r, $w);
}

# A non-blocking, autoflushed AF_UNIX stream socketpair: ($x, $y).
sub new_socketpair () {
    require IO::Handle;
    require Socket;
    socketpair(my $x, my $y, Socket::AF_UNIX(), Socket::SOCK_STREAM(), Socket::PF_UNSPEC())
        or die "socketpair: $!";
    for ($x, $y) { $_->autoflush(1); $_->blocking(0) }
    return ($x, $y);
}

# Is file descriptor $fd open in this process?
sub fd_open ($fd) { -e "/proc/self/fd/$fd" }

# The pipe ($r, $w) still works: data written is read back (write_end => 1: also check $w is open).
sub pipe_works ($r, $w, $name, %opt) {
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    1 while sysread($r, my $junk, 65536);    # drain what the test left in it
    my $fd = fileno($r);
    Test::More::ok(defined($fd) && fd_open($fd), "$name: read end still open");
    Test::More::ok(defined(fileno $w) && fd_open(fileno $w), "$name: write end still open")
        if $opt{write_end};
    my $msg = "ping" . int(rand 1e6);
    Test::More::is(syswrite($w, $msg), length($msg), "$name: write end still works");
    my $got = '';
    my $t0  = now();
    while (length($got) < length($msg) && now() - $t0 < 2) {
        my $n = sysread($r, my $buf, 100);
        $got .= $buf if $n;
    }
    Test::More::is($got, $msg, "$name: data read back");
}

# The number of open file descriptors (not counting the one used to count them).
sub fd_count () {
    opendir(my $d, '/proc/self/fd') or die "opendir /proc/self/fd: $!";
    my $n = grep { /\A\d+\z/ } readdir $d;
    return $n - 1;
}

# A figure from /proc/self/status in kB (VmRSS, VmHWM, ...); 0 if it is not there.
sub status_kb ($key) {
    open(my $fh, '<', '/proc/self/status') or die "open /proc/self/status: $!";
    while (my $line = <$fh>) {
        return $1 if $line =~ /^\Q$key\E:\s+(\d+)\s+kB/;
    }
    return 0;
}

# The resident set size in kB; dies if /proc/self/status has none.
sub rss_kb () { status_kb('VmRSS') || die "no VmRSS in /proc/self/status" }

# Is signal number $signo blocked in this thread?
sub is_blocked ($signo) {
    require POSIX;
    my $old = POSIX::SigSet->new;
    POSIX::sigprocmask(POSIX::SIG_BLOCK(), POSIX::SigSet->new, $old)
        or die "sigprocmask: $!";
    return $old->ismember($signo) ? 1 : 0;
}

# The signal masks of a /proc/PID/status text (default: this thread's own),
# as numbers: { SigBlk => ..., SigCgt => ..., SigIgn => ..., SigPnd => ..., ShdPnd => ... }
# (bit N-1 is signal N; SigBlk and SigPnd are the reading thread's).
sub sig_masks ($text = undef) {
    if (!defined $text) {
        open(my $fh, '<', '/proc/thread-self/status') or die "open /proc/thread-self/status: $!";
        $text = do { local $/; <$fh> };
    }
    no warnings 'portable';
    my %m = $text =~ /^(SigBlk|SigCgt|SigIgn|SigPnd|ShdPnd):\s*([0-9a-f]+)/mg;
    die "no signal masks in: $text" unless keys %m == 5;
    $_ = hex for values %m;
    return \%m;
}

# Does the process catch signal $signo (a handler is installed)?  Is it ignored?
sub is_caught ($signo)  { sig_masks()->{SigCgt} & (1 << ($signo - 1)) ? 1 : 0 }
sub is_ignored ($signo) { sig_masks()->{SigIgn} & (1 << ($signo - 1)) ? 1 : 0 }

# Fork a child that sends $sig to us at each absolute monotonic time in @at; returns its pid.
sub send_at ($sig, @at) {
    require POSIX;
    my $parent = $$;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        for my $t (@at) {
            my $d = $t - now();
            select undef, undef, undef, $d if $d > 0;
            kill $sig, $parent;
        }
        POSIX::_exit(0);
    }
    return $pid;
}

# Fork a child that sends $sig to us after $delay seconds; returns its pid.
sub kill_me_later ($sig, $delay) { send_at($sig, now() + $delay) }

# Does pidfd_open(2) work here (Linux 5.3+; not under valgrind 3.19)? Says so with diag if not.
sub have_pidfd () {
    state $have;
    return $have if defined $have;
    require POSIX;
    require Linux::Event;
    my $l = Linux::Event->new;
    my $k = fork // die "fork: $!";
    if (!$k) { POSIX::_exit(0) }
    my $ok  = eval { $l->pid($k, sub { }, reap => 0); 1 };
    my $err = $@;
    waitpid($k, 0);
    $have = $ok || $err !~ /needs pidfd_open/ ? 1 : 0;
    Test::More::diag('pidfd_open is not available here: the pid subscription parts are skipped')
        unless $have;
    return $have;
}

# In a child of in_child: send key/value pairs to the parent (a line "key\tvalue" each).
sub report (@kv) {
    my $buf = '';
    while (my ($k, $v) = splice @kv, 0, 2) {
        $v //= 'undef';
        s/\n/\\n/g for $k, $v;
        $buf .= "$k\t$v\n";
    }
    return unless $REPORT && length $buf;
    my $off = 0;
    while ($off < length $buf) {
        my $n = syswrite $REPORT, $buf, length($buf) - $off, $off;
        last unless $n;
        $off += $n;
    }
}

# Run $code in a forked child (alarm => seconds, default 20); what it returns and
# reports comes back as \%report, with the wait status: (\%report, $status).
# The child ends with POSIX::_exit(0), or with exit => 'exit' by exit 0 (END blocks
# and destructors run). The child never runs Test::More.
sub in_child ($code, %opt) {
    require POSIX;
    require IO::Handle;
    pipe(my $rd, my $wr) or die "pipe: $!";
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        close $rd;
        $wr->autoflush(1);
        alarm($opt{alarm} // 20);    # a child that hangs dies by SIGALRM
        $REPORT = $wr;
        my @out = eval { $code->() };
        push @out, 'child died', "$@" if $@;
        report(@out);
        exit 0 if ($opt{exit} // '_exit') eq 'exit';
        POSIX::_exit(0);
    }
    close $wr;
    my %r = read_report($rd);
    close $rd;
    waitpid($pid, 0);
    return (\%r, $?);
}

# Read "key\tvalue" lines (as report writes them) from $fh to its end: %report.
sub read_report ($fh) {
    my %r;
    while (my $line = <$fh>) {
        chomp $line;
        my ($k, $v) = split /\t/, $line, 2;
        $r{$k} = $v;
    }
    return %r;
}

# A wait status in words: 'exit N' or 'killed by signal N[ (core dumped)]'.
sub status_text ($st) {
    return "killed by signal " . ($st & 127) . (($st & 128) ? ' (core dumped)' : '') if $st & 127;
    return 'exit ' . ($st >> 8);
}

# Run @$cmd with stdout and stderr to a file, killed after timeout => N seconds
# (stdin => FILE: its stdin from FILE); returns ($status, $timed_out, $output).
sub run_with_timeout ($cmd, %opt) {
    require POSIX;
    require File::Temp;
    my $timeout = $opt{timeout} // 20;
    my $out = File::Temp->new(SUFFIX => '.out');
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        if (defined $opt{stdin}) { open(STDIN, '<', $opt{stdin}) or POSIX::_exit(97) }
        open(STDOUT, '>', $out->filename) or POSIX::_exit(97);
        open(STDERR, '>&', \*STDOUT) or POSIX::_exit(97);
        exec(@$cmd) or POSIX::_exit(98);
    }
    my $deadline = now() + $timeout;
    my $timed_out = 0;
    while (1) {
        last if waitpid($pid, POSIX::WNOHANG()) == $pid;
        if (now() > $deadline) {
            $timed_out = 1;
            kill KILL => $pid;
            waitpid($pid, 0);
            last;
        }
        select undef, undef, undef, 0.05;
    }
    my $status = $?;
    open(my $in, '<', $out->filename) or die "$out: $!";
    my $output = do { local $/; <$in> };
    return ($status, $timed_out, $output);
}

1;
