#!/usr/bin/env perl
# AnyEvent on Linux::Event: AnyEvent::Handle reading lines and writing, and a
# listening socket with clients over AnyEvent::Socket on 127.0.0.1.
use v5.36;
use Test::More;
use Socket qw(AF_UNIX SOCK_STREAM PF_UNSPEC);

BEGIN {
    plan skip_all => 'AnyEvent is not installed' unless eval { require AnyEvent; 1 };
    alarm 20;
}

use Linux::Event;
use AnyEvent;
use AnyEvent::Handle;
use AnyEvent::Socket qw(tcp_server tcp_connect);

is AnyEvent::detect(), 'AnyEvent::Impl::LinuxEvent', 'the model in use';

# ---- AnyEvent::Handle over a socketpair ----------------------------------------------

{
    socketpair(my $x, my $y, AF_UNIX, SOCK_STREAM, PF_UNSPEC) or die "socketpair: $!";
    my $cv = AE::cv;
    my @lines;
    my $hy = AnyEvent::Handle->new(fh => $y, on_error => sub { $cv->croak("y: $_[2]") });
    my $reader; $reader = sub ($h, $line, $eol) {
        push @lines, $line;
        if ($line eq 'end') { $cv->send } else { $h->push_read(line => $reader) }
    };
    $hy->push_read(line => $reader);

    # a writer that writes bytes in odd pieces from a timer
    my $data = join '', map { "line $_\n" } 1 .. 200;
    $data .= "end\n";
    my $pos = 0;
    my $t; $t = AE::timer 0, 0.001, sub {
        my $n = syswrite $x, $data, 37, $pos;
        $pos += $n;
        undef $t if $pos >= length $data;
    };
    $cv->recv;
    is scalar(@lines), 201, 'push_read(line) gets every line written in odd pieces';
    is $lines[0], 'line 1', '... the first';
    is $lines[199], 'line 200', '... the last';

    # writing a large buffer: the handle needs write watchers for partial writes
    my $big = 'x' x (4 * 1024 * 1024);
    my $got = '';
    my $cv2 = AE::cv;
    my $rx = AE::io $x, 0, sub {
        my $n = sysread $x, my $buf, 65536;
        $got .= $buf;
        $cv2->send if length $got >= length $big;
    };
    my $drained = 0;
    $hy->on_drain(sub { $drained++ });
    $hy->push_write($big);
    $cv2->recv;
    is length($got), length($big), 'push_write of 4 MiB arrives whole';
    my $cv3 = AE::cv;
    my $t3 = AE::timer 0.01, 0, sub { $cv3->send };
    $cv3->recv;
    cmp_ok $drained, '>=', 1, 'on_drain ran once the buffer was written';

    # end of file
    my $cv4 = AE::cv;
    $hy->on_eof(sub { $cv4->send('eof') });
    $hy->on_read(sub { });
    close $x;
    is $cv4->recv, 'eof', 'on_eof when the peer closes';
    $hy->destroy;
}

# ---- a TCP server and clients on 127.0.0.1 -------------------------------------------

{
    my $host;
    my $port;
    my %conn;
    my $server = tcp_server '127.0.0.1', 0, sub ($fh, $peer_host, $peer_port) {
        my $h; $h = AnyEvent::Handle->new(
            fh       => $fh,
            on_error => sub { delete $conn{$h}; $h->destroy },
            on_eof   => sub { delete $conn{$h}; $h->destroy },
        );
        $conn{$h} = $h;
        my $echo; $echo = sub ($h, $line, $eol) {
            $h->push_write("echo: $line\n");
            $h->push_read(line => $echo);
        };
        $h->push_read(line => $echo);
    }, sub ($fh, $h, $p) { ($host, $port) = ($h, $p); 128 };
    ok $port, "tcp_server listens on 127.0.0.1 port $port";

    my $clients = 5;
    my $lines   = 100;
    my $cv = AE::cv;
    my (%got, %client);
    for my $c (1 .. $clients) {
        $cv->begin;
        tcp_connect '127.0.0.1', $port, sub ($fh = undef, @) {
            return $cv->croak("client $c: connect failed: $!") unless $fh;
            my $h = $client{$c} = AnyEvent::Handle->new(fh => $fh, on_error => sub { $cv->croak("client $c: $_[2]") });
            $h->push_write("client $c line $_\n") for 1 .. $lines;
            my $n = 0;
            my $read; $read = sub ($h, $line, $eol) {
                push @{ $got{$c} }, $line;
                if (++$n == $lines) { (delete $client{$c})->destroy; $cv->end }
                else { $h->push_read(line => $read) }
            };
            $h->push_read(line => $read);
        };
    }
    $cv->recv;
    is scalar(keys %got), $clients, "$clients clients connected and got answers";
    is_deeply $got{3}, [map { "echo: client 3 line $_" } 1 .. $lines], 'every line echoed, in order';

    # the server sees the clients go
    my $cv2 = AE::cv;
    my $poll; $poll = AE::timer 0, 0.01, sub { $cv2->send unless %conn };
    my $limit = AE::timer 5, 0, sub { $cv2->send };
    $cv2->recv;
    is scalar(keys %conn), 0, 'the server handles saw every client close';

    # connecting to a port where nobody listens fails cleanly
    undef $server;
    my $cv3 = AE::cv;
    tcp_connect '127.0.0.1', $port, sub { $cv3->send(@_ ? 'connected' : "failed: $!") };
    like $cv3->recv, qr/^failed/, 'tcp_connect to a closed port reports failure';
}

done_testing;
