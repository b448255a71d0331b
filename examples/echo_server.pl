#!/usr/bin/env perl
# I/O watchers: a TCP echo server on 127.0.0.1 (ephemeral port) and a client
# in the same loop.  The server accepts from a read watcher on the listening
# socket, echoes through a write watcher that is enabled only while it has
# output queued, and the client sends N messages one after the other.
use v5.36;
use IO::Socket::INET;
use Errno qw(EAGAIN EWOULDBLOCK EINTR);
use FindBin;
use lib "$FindBin::Bin/../lib";
use Linux::Event;

my $messages = $ARGV[0] // 5;

my $loop   = Linux::Event->new;
my $listen = IO::Socket::INET->new(
    LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 5, ReuseAddr => 1, Blocking => 0,
) or die "listen: $@";
my $port = $listen->sockport;
say "server: listening on 127.0.0.1:$port";

# --- server --------------------------------------------------------------
my %conn;    # fileno => the accepted socket (the loop does not keep it alive)

$loop->watch($listen, read => sub ($loop, $listen, $watcher) {
    while (my $sock = $listen->accept) {
        $sock->blocking(0);
        say 'server: accepted a connection from port ', $sock->peerport;
        $conn{ fileno $sock } = $sock;
        $loop->watch($sock,
            data  => '',    # the output buffer
            read  => \&server_read,
            write => \&server_write,
        )->disable_write;   # nothing to write yet
    }
});

sub server_read ($loop, $sock, $w) {
    my $n = sysread($sock, my $buf, 4096);
    if (!defined $n) {
        return if $! == EAGAIN || $! == EWOULDBLOCK || $! == EINTR;
        die "server: read: $!";
    }
    if ($n == 0) {    # end of file: the client closed
        say 'server: client closed, closing its socket';
        $loop->unwatch($sock);
        delete $conn{ fileno $sock };
        close $sock;
        return;
    }
    $w->data($w->data . $buf);
    $w->enable_write;    # write when the kernel says the socket is writable
}

sub server_write ($loop, $sock, $w) {
    my $out = $w->data;
    my $n   = syswrite($sock, $out);
    die "server: write: $!" unless defined $n || $! == EAGAIN;
    $w->data(substr($out, $n // 0));
    $w->disable_write if $w->data eq '';
}

# --- client --------------------------------------------------------------
my $client = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port)
    or die "connect: $@";
$client->blocking(0);

my ($sent, $echoed, $pending) = (0, 0, '');
sub send_next () {
    $sent++;
    my $msg = "message $sent\n";
    syswrite($client, $msg) == length $msg or die "client: write: $!";
    say "client: sent     ", $msg =~ s/\n//r;
}

$loop->watch($client, read => sub ($loop, $client, $w) {
    my $n = sysread($client, my $buf, 4096);
    return if !defined $n && $! == EAGAIN;
    die "client: read: $!" unless defined $n;
    die "client: server closed the connection" if $n == 0;
    $pending .= $buf;
    while ($pending =~ s/\A(.*)\n//) {
        $echoed++;
        say "client: got back $1";
        if ($sent < $messages) { send_next() }
        else {
            # Done: close our end; the server sees end-of-file, then stop.
            $w->cancel;
            close $client;
            $loop->after(0.05, sub ($loop) { $loop->stop });
        }
    }
});

$loop->after(10, sub ($loop) { die "echo_server: timed out\n" });    # watchdog
send_next();
$loop->run;

say "echo done: $echoed of $messages messages echoed, ", scalar(keys %conn), ' connections left open';
exit($echoed == $messages ? 0 : 1);
