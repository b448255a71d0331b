#!perl
# Oneshot and edge-triggered watchers: a oneshot watcher fires once and stays
# active; toggling a direction re-arms it, also from inside the callback and
# also when the interest set does not change. 10 000 lines through a
# non-blocking pipe with edge_triggered + oneshot, re-armed from the callbacks.
use v5.36;
BEGIN { alarm 120 }    # watchdog: a hang fails instead of blocking CI
use Test::More;
use IO::Handle;
use POSIX ();
use Time::HiRes ();
use Linux::Event;
use FindBin;
use lib "$FindBin::Bin/lib";
use LE::Test qw(now new_pipe new_socketpair);

$SIG{PIPE} = 'IGNORE';

my $N = 10_000;

subtest 'oneshot read: fires once, stays active, re-armed by disable_read/enable_read' => sub {
    my $loop = Linux::Event->new;
    my ($r, $w) = new_pipe();
    syswrite($w, 'x');
    my $n  = 0;
    my $wt = $loop->watch($r, read => sub ($l, $fh, $wt) { $n++ }, oneshot => 1);
    is($wt->oneshot, 1, 'oneshot getter');
    $loop->run_once(1);
    is($n, 1, 'fired once');
    $loop->run_once(0.05) for 1 .. 3;
    is($n, 1, 'disarmed: no more callbacks although the data is unread');
    is($wt->is_active, 1, 'still active after firing');
    syswrite($w, 'y');
    $loop->run_once(0.1);
    is($n, 1, 'new data does not fire a disarmed oneshot watcher');

    $wt->disable_read;
    $wt->enable_read;
    $loop->run_once(1);
    is($n, 2, 'disable_read + enable_read re-armed it: fired again');
    $loop->run_once(0.05) for 1 .. 2;
    is($n, 2, '... once');
    is($wt->is_active, 1, 'still active');

    $wt->disable_read->enable_read;
    $loop->run_once(1);
    is($n, 3, 're-armed with a chained toggle');

    ok($wt->cancel, 'cancel a oneshot watcher: true');
    ok(!$wt->cancel, '... once');
};

subtest 'oneshot read re-armed from inside the callback (interest unchanged)' => sub {
    my $loop = Linux::Event->new;
    my ($r, $w) = new_pipe();
    syswrite($w, 'x');
    my $n  = 0;
    my $wt = $loop->watch($r, oneshot => 1, read => sub ($l, $fh, $wt) {
        $n++;
        $wt->disable_read;
        $wt->enable_read;
    });
    my $t0 = now();
    $loop->run_once(1) for 1 .. 5;
    is($n, 5, 'fired once per cycle while the data is unread');
    cmp_ok(now() - $t0, '<', 1, '... without waiting for the timeouts');
    is($wt->is_active, 1, 'still active');
    $wt->cancel;
};

subtest 'oneshot write: fires once; re-armed by disable_write/enable_write, also from the callback' => sub {
    my $loop = Linux::Event->new;
    my ($r, $w) = new_pipe();
    my $n  = 0;
    my $wt = $loop->watch($w, write => sub ($l, $fh, $wt) { $n++ }, oneshot => 1);
    $loop->run_once(1);
    $loop->run_once(0.05) for 1 .. 3;
    is($n, 1, 'writable oneshot fired once');
    is($wt->is_active, 1, 'still active');
    $wt->disable_write->enable_write;
    $loop->run_once(1);
    $loop->run_once(0.05);
    is($n, 2, 're-armed by disable_write/enable_write');

    $wt->on_write(sub ($l, $fh, $wt) { $n++; $wt->disable_write->enable_write });
    $wt->disable_write->enable_write;
    $n = 0;
    $loop->run_once(1) for 1 .. 5;
    is($n, 5, 're-armed from inside the write callback: once per cycle');
    $wt->cancel;
};

subtest 'edge-triggered without oneshot: once per new data' => sub {
    my $loop = Linux::Event->new;
    my ($x, $y) = new_socketpair();
    my $n  = 0;
    my $wt = $loop->watch($x, read => sub ($l, $fh, $wt) { $n++ }, edge_triggered => 1);
    is($wt->edge_triggered, 1, 'edge_triggered getter');
    syswrite($y, 'a');
    $loop->run_once(1);
    $loop->run_once(0.05) for 1 .. 2;
    is($n, 1, 'one callback for the first write, although unread');
    syswrite($y, 'b');
    $loop->run_once(1);
    $loop->run_once(0.05) for 1 .. 2;
    is($n, 2, 'one more callback for the second write');
    is($wt->is_active, 1, 'still active');
    $wt->cancel;
};

sub check_lines ($lines, $name) {
    is(scalar(@$lines), $N, "$name: all $N lines processed");
    my $bad = 0;
    my $first_bad;
    for my $i (0 .. $#$lines) {
        next if $lines->[$i] eq "line $i";
        $bad++;
        $first_bad //= "line index $i is '$lines->[$i]'";
    }
    is($bad, 0, "$name: lines intact and in order") or diag($first_bad);
}

subtest "$N lines through a non-blocking pipe, both ends edge_triggered + oneshot, partial I/O" => sub {
    my $loop = Linux::Event->new;
    my ($r, $w) = new_pipe();
    my $payload = join('', map { "line $_\n" } 0 .. $N - 1);
    my ($off, $buf, @lines, $eof) = (0, '');
    my ($wcalls, $rcalls) = (0, 0);

    # The writer writes at most 1000 bytes per callback (not until EAGAIN) and
    # re-arms with the same interest: only the re-arm makes it fire again.
    $loop->watch($w, edge_triggered => 1, oneshot => 1, write => sub ($l, $fh, $wt) {
        $wcalls++;
        my $n = syswrite($fh, $payload, 1000, $off);
        if (defined $n) { $off += $n }
        elsif (!$!{EAGAIN}) { die "write: $!" }
        if ($off >= length $payload) {
            $wt->cancel;
            close($fh);
            return;
        }
        $wt->disable_write;
        $wt->enable_write;
    });

    # The reader reads at most 128 bytes per callback (does not drain the
    # pipe): with edge triggering, only the re-arm makes it fire again.
    $loop->watch($r, edge_triggered => 1, oneshot => 1, read => sub ($l, $fh, $wt) {
        $rcalls++;
        my $n = sysread($fh, my $chunk, 128);
        if (!defined $n) {
            die "read: $!" unless $!{EAGAIN};
        }
        elsif ($n == 0) {
            $eof = 1;
            $wt->cancel;
            $l->stop;
            return;
        }
        else {
            $buf .= $chunk;
            push @lines, $1 while $buf =~ s/\A([^\n]*)\n//;
        }
        $wt->disable_read;
        $wt->enable_read;
    });

    my $guard = $loop->after(20, sub ($l) { $l->stop });
    my $t0 = now();
    $loop->run;
    my $dt = now() - $t0;
    ok($loop->cancel($guard), 'finished before the 20 s guard timer');
    ok($eof, 'reader saw EOF after the writer closed');
    is($off, length($payload), 'writer wrote everything');
    check_lines(\@lines, 'in-loop writer');
    is($buf, '', 'no partial line left over');
    cmp_ok($rcalls, '>=', length($payload) / 128, "read callback ran $rcalls times (partial reads)");
    diag(sprintf "%d write callbacks, %d read callbacks, %.2f s", $wcalls, $rcalls, $dt);
};

subtest "$N lines from a forked child, edge_triggered + oneshot reader that drains" => sub {
    my $loop = Linux::Event->new;
    my ($r, $w) = new_pipe();
    my $pid = fork() // die "fork: $!";
    if ($pid == 0) {
        close($r);
        $w->blocking(1);
        my $i = 0;
        while ($i < $N) {
            my $k     = 1 + int(rand(40));
            my $chunk = join('', map { "line $_\n" } $i .. ($i + $k - 1 < $N ? $i + $k - 1 : $N - 1));
            $i += $k;
            while (length $chunk) {
                my $n = syswrite($w, $chunk);
                POSIX::_exit(1) unless defined $n;
                substr($chunk, 0, $n, '');
            }
            Time::HiRes::sleep(0.0005) if rand() < 0.02;
        }
        close($w);
        POSIX::_exit(0);
    }
    close($w);

    my ($buf, @lines, $eof, $calls) = ('');
    $loop->watch($r, edge_triggered => 1, oneshot => 1, read => sub ($l, $fh, $wt) {
        $calls++;
        while (1) {
            my $n = sysread($fh, my $chunk, 4096);
            if (!defined $n) {
                die "read: $!" unless $!{EAGAIN};
                last;
            }
            if ($n == 0) {
                $eof = 1;
                $wt->cancel;
                $l->stop;
                return;
            }
            $buf .= $chunk;
        }
        push @lines, $1 while $buf =~ s/\A([^\n]*)\n//;
        $wt->disable_read;
        $wt->enable_read;
    });
    my $guard = $loop->after(20, sub ($l) { $l->stop });
    $loop->run;
    ok($loop->cancel($guard), 'finished before the 20 s guard timer');
    push @lines, $1 while $buf =~ s/\A([^\n]*)\n//;
    ok($eof, 'reader saw EOF');
    check_lines(\@lines, 'forked writer');
    is(waitpid($pid, 0), $pid, 'child reaped');
    is($?, 0, 'child exited 0');
    diag("$calls read callbacks");
};

done_testing;
