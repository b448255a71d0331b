# Mojo::IOLoop TCP server and clients on Mojo::Reactor::LinuxEvent.
use strict;
use warnings;
use Test::More;

BEGIN {
    $ENV{MOJO_REACTOR} = 'Mojo::Reactor::LinuxEvent';
    eval { require Mojolicious; require Mojo::IOLoop; 1 }
        or plan skip_all => 'Mojolicious is not installed';
}

is(ref Mojo::IOLoop->singleton->reactor, 'Mojo::Reactor::LinuxEvent', 'the IOLoop runs on it');

# An echo server; three clients each send 200 kB in pieces and read it back.
my $id = Mojo::IOLoop->server({address => '127.0.0.1'} => sub {
    my (undef, $stream) = @_;
    $stream->on(read => sub { $_[0]->write($_[1]) });
});
my $port = Mojo::IOLoop->acceptor($id)->port;
my %got;
my $payload = join '', map { sprintf '%07d,', $_ } 1 .. 25_000;
my $left = 3;
for my $c (1 .. 3) {
    Mojo::IOLoop->client({address => '127.0.0.1', port => $port} => sub {
        my (undef, $err, $stream) = @_;
        die "connect: $err" if $err;
        $got{$c} = '';
        $stream->on(read => sub {
            $got{$c} .= $_[1];
            if (length $got{$c} == length $payload) {
                $_[0]->close;
                Mojo::IOLoop->stop unless --$left;
            }
        });
        $stream->write(substr $payload, $_ * 10_000, 10_000) for 0 .. length($payload) / 10_000;
    });
}
my $guard = Mojo::IOLoop->timer(30 => sub { Mojo::IOLoop->stop });
Mojo::IOLoop->start;
Mojo::IOLoop->remove($guard);
is($left, 0, 'all three clients finished');
ok($got{$_} eq $payload, "client $_ got its 200 kB back unchanged") for 1 .. 3;

# Stream timeouts come from the reactor's timers.
my ($timeout, $closed);
my $tid = Mojo::IOLoop->server({address => '127.0.0.1'} => sub { });
my $tport = Mojo::IOLoop->acceptor($tid)->port;
Mojo::IOLoop->client({address => '127.0.0.1', port => $tport} => sub {
    my (undef, $err, $stream) = @_;
    $stream->timeout(0.2);
    $stream->on(timeout => sub { $timeout = 1 });
    $stream->on(close => sub { $closed = 1; Mojo::IOLoop->stop });
});
$guard = Mojo::IOLoop->timer(10 => sub { Mojo::IOLoop->stop });
Mojo::IOLoop->start;
Mojo::IOLoop->remove($guard);
ok($timeout && $closed, 'an idle stream times out and closes');

# A connection that is refused reports an error.
my $refused_err;
my $dead = Mojo::IOLoop->server({address => '127.0.0.1'} => sub { });
my $dead_port = Mojo::IOLoop->acceptor($dead)->port;
Mojo::IOLoop->remove($dead);
Mojo::IOLoop->client({address => '127.0.0.1', port => $dead_port} => sub {
    $refused_err = $_[1];
    Mojo::IOLoop->stop;
});
$guard = Mojo::IOLoop->timer(10 => sub { Mojo::IOLoop->stop });
Mojo::IOLoop->start;
Mojo::IOLoop->remove($guard);
like($refused_err // '', qr/refused|connect/i, "a refused connection reports: $refused_err");

done_testing;
