#!/usr/bin/env perl
# Oneshot + edge-triggered reader on a non-blocking pipe.  Edge-triggered:
# the kernel reports the pipe once per new arrival, so the callback must
# drain it until EAGAIN.  Oneshot: after one delivery the kernel disarms the
# fd; the callback re-arms it by toggling read (disable_read + enable_read).
use v5.36;
use Fcntl qw(F_GETFL F_SETFL O_NONBLOCK);
use Errno qw(EAGAIN);
use FindBin;
use lib "$FindBin::Bin/../lib";
use Linux::Event;

my $chunks = 5;
my $loop   = Linux::Event->new;

pipe(my $r, my $w) or die "pipe: $!";
for my $fh ($r, $w) {
    fcntl($fh, F_SETFL, fcntl($fh, F_GETFL, 0) | O_NONBLOCK) or die "fcntl: $!";
}

my ($deliveries, $bytes, $eof) = (0, 0, 0);

my $watcher = $loop->watch($r,
    edge_triggered => 1,
    oneshot        => 1,
    read           => sub ($loop, $fh, $watcher) {
        $deliveries++;
        my ($reads, $got) = (0, 0);
        while (1) {    # drain: edge-triggered reports only new arrivals
            my $n = sysread($fh, my $buf, 16);    # small reads, to show the draining
            if (!defined $n) {
                die "read: $!" unless $! == EAGAIN;
                last;    # drained
            }
            if ($n == 0) { $eof = 1; last }
            $reads++;
            $got += $n;
        }
        $bytes += $got;
        say "delivery $deliveries: drained $got bytes in $reads reads",
            $eof ? ', then end of file' : '';
        if ($eof) {
            $watcher->cancel;
            close $fh;
            $loop->stop;
            return;
        }
        # Oneshot: the kernel has disarmed the fd; re-arm it for the next chunk.
        $watcher->disable_read->enable_read;
    },
);
say 'watching the pipe: oneshot=', $watcher->oneshot, ' edge_triggered=', $watcher->edge_triggered;

# The writer: one chunk every 20 ms, then close the write end (EOF).
my $written = 0;
for my $i (1 .. $chunks) {
    $loop->after(0.02 * $i, sub ($loop) {
        my $chunk = "chunk $i " . ('x' x (10 * $i)) . "\n";
        $written += syswrite($w, $chunk) // die "write: $!";
        close $w if $i == $chunks;
    });
}
$loop->after(10, sub ($loop) { die "oneshot_edge_reader: timed out\n" });    # watchdog

$loop->run;
say "read $bytes of $written bytes in $deliveries deliveries";
exit($bytes == $written ? 0 : 1);
