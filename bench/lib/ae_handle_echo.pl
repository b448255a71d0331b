#!/usr/bin/perl
# handle-echo: an AnyEvent::Handle line echo over a TCP loopback connection,
# in one process, on the AnyEvent model that PERL_ANYEVENT_MODEL names
# (bench/anyevent runs it on LinuxEvent and EV). The server echoes each line
# it reads; the client keeps `window` lines in flight and counts the echoes.
# N lines of `len` bytes (newline included) go each way.
#
#   perl -Ilib bench/lib/ae_handle_echo.pl handle-echo 50000 [len=100] [window=64]
use strict;
use warnings;
use FindBin ();
use lib $FindBin::Bin;
use BenchHarness;

my %MODULE = (EV => 'EV', LinuxEvent => 'Linux::Event');
my $want = $ENV{PERL_ANYEVENT_MODEL} || '';

run_impl(
    name      => "anyevent-$want",
    modules   => ['AnyEvent', 'AnyEvent::Handle', ($MODULE{$want} // ())],
    info      => sub { 'AnyEvent-' . AnyEvent->VERSION . ' model=' . AnyEvent::detect() },
    workloads => { 'handle-echo' => \&handle_echo },
);

sub handle_echo {
    my ($n, $opt) = @_;
    my $len    = $opt->{len}    || 100;
    my $window = $opt->{window} || 64;
    require AnyEvent;
    require AnyEvent::Handle;
    require AnyEvent::Socket;
    my $model = AnyEvent::detect();
    die "AnyEvent picked $model, not AnyEvent::Impl::$want\n" unless $model eq "AnyEvent::Impl::$want";

    my $line = 'x' x ($len - 1);
    my ($port, $server_h, $client_h, $sent, $got) = (undef, undef, undef, 0, 0);
    my $cv = AE::cv();

    my $server = AnyEvent::Socket::tcp_server('127.0.0.1', 0, sub {
        my ($fh) = @_;
        $server_h = AnyEvent::Handle->new(fh => $fh, on_error => sub { $cv->croak("server: $_[2]") });
        my $echo;
        $echo = sub { $_[0]->push_write("$_[1]\n"); $_[0]->push_read(line => $echo) };
        $server_h->push_read(line => $echo);
    }, sub { $port = $_[2]; 128 });

    my $connected = AE::cv();
    AnyEvent::Socket::tcp_connect('127.0.0.1', $port, sub {
        my ($fh) = @_ or return $connected->croak("connect: $!");
        $client_h = AnyEvent::Handle->new(fh => $fh, on_error => sub { $cv->croak("client: $_[2]") });
        $connected->send;
    });
    $connected->recv;

    my $m = meter();
    my $read;
    $read = sub {
        if (++$got == $n) { $cv->send; return }
        if ($sent < $n) { $sent++; $_[0]->push_write("$line\n") }
        $_[0]->push_read(line => $read);
    };
    for (1 .. ($window < $n ? $window : $n)) { $sent++; $client_h->push_write("$line\n") }
    $client_h->push_read(line => $read);
    $cv->recv;
    my %t = $m->();
    $client_h->destroy;
    $server_h->destroy;
    return (ops => $got, bytes => 2 * $got * $len, %t);
}
