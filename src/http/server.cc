// HTTP/1.1 listener on Boost.Beast. One io_context per I/O thread; the acceptor hands
// each new connection to the next context in turn, so a connection lives on exactly
// one thread and needs no strand.
#include "http/server.h"

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <cstring>  // explicit_bzero
#include <list>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace bulwark::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

class ServerImpl;

// Per-I/O-thread state. Only touched from its own thread.
struct Worker {
  // Declared before `io`, so it outlives the handlers io's destructor destroys.
  std::list<std::weak_ptr<class Session>> sessions;
  asio::io_context io{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, ServerImpl* server, Worker* worker)
      : stream_(std::move(socket)), server_(server), worker_(worker) {}
  ~Session();

  void Start(std::list<std::weak_ptr<Session>>::iterator self_pos) {
    self_pos_ = self_pos;
    beast::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_addr_ = ep.address().to_string();
    ReadHead();
  }

  // Called on the worker's thread during shutdown: idle connections close now,
  // busy ones close after their current response.
  void Drain() {
    draining_ = true;
    if (idle_) {
      beast::error_code ec;
      stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
      stream_.socket().close(ec);
    }
  }

 private:
  void ReadHead();
  void OnHead(beast::error_code ec);
  void ReadBody();
  void OnBody(beast::error_code ec);
  void Dispatch();
  void Reject(const Status& why);
  void Write(Response response, bool keep_alive);
  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.socket().close(ec);
  }
  // After refusing a request whose body was not read: stop sending, then discard
  // what the client still sends for a short while, so that it sees the response
  // instead of a reset. Bounded by a timeout.
  void LingerClose() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.expires_after(std::chrono::seconds(2));
    DiscardInput();
  }
  void DiscardInput() {
    if (!discard_) discard_ = std::make_unique<char[]>(kDiscardSize);
    stream_.async_read_some(asio::buffer(discard_.get(), kDiscardSize),
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              if (ec) return self->Close();
                              self->DiscardInput();
                            });
  }
  static constexpr size_t kDiscardSize = 64 * 1024;
  std::unique_ptr<char[]> discard_;
  Request HeadToRequest();

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::shared_ptr<bhttp::response<bhttp::string_body>> response_;
  ServerImpl* server_;
  Worker* worker_;
  std::list<std::weak_ptr<Session>>::iterator self_pos_;
  std::string remote_addr_;
  bool idle_ = true;
  bool draining_ = false;
  bool linger_ = false;
};

class ServerImpl : public Server {
 public:
  ServerImpl(const ServerOptions& options, Handler* handler)
      : options_(options), handler_(handler) {}
  ~ServerImpl() override {
    stopped_ = true;
    drain_timer_.reset();
    acceptor_.reset();
    workers_.clear();  // destroys pending sessions while the counters still exist
  }

  Status Init() {
    int n = options_.io_threads > 0 ? options_.io_threads
                                    : static_cast<int>(std::thread::hardware_concurrency());
    if (n <= 0) n = 1;
    for (int i = 0; i < n; ++i) {
      workers_.push_back(std::make_unique<Worker>());
      workers_.back()->guard.emplace(asio::make_work_guard(workers_.back()->io));
    }
    beast::error_code ec;
    auto address = asio::ip::make_address(options_.host, ec);
    if (ec) return Status(ErrorKind::kValidation, "invalid listen address: " + options_.host);
    acceptor_.emplace(workers_[0]->io);
    tcp::endpoint endpoint(address, options_.port);
    acceptor_->open(endpoint.protocol(), ec);
    if (!ec) acceptor_->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_->bind(endpoint, ec);
    if (!ec) acceptor_->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return Status(ErrorKind::kInternalFailure, "cannot listen on " + options_.host + ":" +
                                                     std::to_string(options_.port) + ": " +
                                                     ec.message());
    }
    port_ = acceptor_->local_endpoint().port();
    Accept();
    return Status::Ok();
  }

  uint16_t port() const override { return port_; }
  size_t open_connections() const override { return connections_.load(); }

  void Run() override {
    std::vector<std::thread> threads;
    for (size_t i = 1; i < workers_.size(); ++i) {
      threads.emplace_back([w = workers_[i].get()] { w->io.run(); });
    }
    workers_[0]->io.run();
    for (auto& t : threads) t.join();
    stopped_ = true;
  }

  void Shutdown() override {
    if (shutting_down_.exchange(true)) return;
    asio::post(workers_[0]->io, [this] {
      beast::error_code ec;
      if (acceptor_) acceptor_->close(ec);
      for (auto& w : workers_) {
        asio::post(w->io, [w = w.get()] {
          for (auto& weak : w->sessions) {
            if (auto s = weak.lock()) s->Drain();
          }
          w->guard.reset();  // run() returns once the last connection is gone
        });
      }
      // Bound the drain: after the timeout every connection is closed hard.
      drain_timer_.emplace(workers_[0]->io, options_.drain_timeout);
      drain_timer_->async_wait([this](beast::error_code ec) {
        if (ec) return;
        for (auto& w : workers_) w->io.stop();
      });
      if (connections_.load() == 0) drain_timer_->cancel();
    });
  }

  const ServerOptions& options() const { return options_; }
  Handler* handler() const { return handler_; }
  bool shutting_down() const { return shutting_down_.load(); }
  void ConnectionClosed() {
    if (connections_.fetch_sub(1) == 1 && shutting_down_ && !stopped_) {
      // Last connection gone: the drain timer need not hold worker 0 open.
      asio::post(workers_[0]->io, [this] {
        if (drain_timer_) drain_timer_->cancel();
      });
    }
  }

 private:
  void Accept() {
    Worker* w = workers_[next_worker_++ % workers_.size()].get();
    acceptor_->async_accept(w->io, [this, w](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !acceptor_->is_open()) return;
      if (!ec) {
        if (connections_.load() >= options_.max_connections) {
          // Over the cap: refuse at once rather than queue without bound.
          beast::error_code ignored;
          socket.close(ignored);
        } else {
          connections_.fetch_add(1);
          socket.set_option(tcp::no_delay(true), ec);
          asio::post(w->io, [this, w, s = std::move(socket)]() mutable {
            auto session = std::make_shared<Session>(std::move(s), this, w);
            w->sessions.push_front(session);
            session->Start(w->sessions.begin());
          });
        }
      }
      Accept();
    });
  }

  ServerOptions options_;
  Handler* handler_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::optional<tcp::acceptor> acceptor_;
  std::optional<asio::steady_timer> drain_timer_;
  size_t next_worker_ = 0;
  uint16_t port_ = 0;
  std::atomic<size_t> connections_{0};
  std::atomic<bool> shutting_down_{false};
  std::atomic<bool> stopped_{false};
};

Session::~Session() {
  worker_->sessions.erase(self_pos_);
  server_->ConnectionClosed();
}

void Session::ReadHead() {
  idle_ = true;
  if (draining_) return Close();
  parser_.emplace();
  parser_->header_limit(static_cast<uint32_t>(server_->options().max_header_bytes));
  parser_->body_limit(server_->options().max_body_bytes);
  stream_.expires_after(server_->options().header_timeout);
  bhttp::async_read_header(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHead(ec); });
}

void Session::OnHead(beast::error_code ec) {
  idle_ = false;
  if (ec == bhttp::error::header_limit) {
    return Reject(Status(ErrorKind::kRequestEntityTooLarge, "Request header is too large."));
  }
  // Beast checks Content-Length against the body limit while parsing the head.
  if (ec == bhttp::error::body_limit) {
    return Reject(Status(ErrorKind::kRequestEntityTooLarge,
                         "Request body exceeds the limit of " +
                             std::to_string(server_->options().max_body_bytes) + " bytes."));
  }
  if (ec) return Close();  // timeout, reset, EOF, or a head that is not HTTP
  ReadBody();
}

void Session::ReadBody() {
  if (parser_->is_done()) return Dispatch();
  stream_.expires_after(server_->options().body_timeout);
  bhttp::async_read(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, size_t) { self->OnBody(ec); });
}

void Session::OnBody(beast::error_code ec) {
  if (ec == bhttp::error::body_limit) {
    return Reject(Status(ErrorKind::kRequestEntityTooLarge, "Request body is too large."));
  }
  if (ec) return Close();
  Dispatch();
}

Request Session::HeadToRequest() {
  auto& msg = parser_->get();
  Request req;
  req.method = std::string(msg.method_string());
  req.target = std::string(msg.target());
  req.headers.reserve(16);
  for (const auto& field : msg) {
    req.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  req.remote_addr = remote_addr_;
  return req;
}

void Session::Dispatch() {
  Request req = HeadToRequest();
  req.body = std::move(parser_->get().body());
  bool keep_alive = parser_->get().keep_alive() && !server_->shutting_down();
  Response resp = server_->handler()->Handle(req);
  // Bodies carry plaintexts and secrets: wiped before their memory is given back.
  explicit_bzero(req.body.data(), req.body.size());
  if (!resp.defer) return Write(std::move(resp), keep_alive);
  // Sent once the handler's deferred work is done; this thread serves other connections
  // meanwhile. The callback may run on any thread: it posts the write to this one.
  auto defer = std::move(resp.defer);
  resp.defer = nullptr;
  auto made = std::make_shared<Response>(std::move(resp));
  defer([self = shared_from_this(), made, keep_alive](std::optional<Response> instead) {
    if (instead) {
      explicit_bzero(made->body.data(), made->body.size());  // it may hold a new secret
      *made = std::move(*instead);
    }
    asio::post(self->stream_.get_executor(),
               [self, made, keep_alive] { self->Write(std::move(*made), keep_alive); });
  });
}

void Session::Reject(const Status& why) {
  // The rest of the request is not read, so the connection cannot be reused.
  Request req = HeadToRequest();
  linger_ = true;
  Write(server_->handler()->Reject(req, why), false);
}

void Session::Write(Response response, bool keep_alive) {
  auto res = std::make_shared<bhttp::response<bhttp::string_body>>();
  res->result(static_cast<unsigned>(response.status));
  res->version(11);
  for (auto& [name, value] : response.headers) res->insert(name, value);
  res->body() = std::move(response.body);
  res->keep_alive(keep_alive && !draining_);
  res->prepare_payload();
  response_ = res;
  stream_.expires_after(server_->options().body_timeout);
  bhttp::async_write(stream_, *res, [self = shared_from_this(), res](beast::error_code ec, size_t) {
    explicit_bzero(res->body().data(), res->body().size());
    if (ec) return self->Close();
    if (self->linger_) return self->LingerClose();
    if (!res->keep_alive()) return self->Close();
    self->ReadHead();
  });
}

}  // namespace

Result<std::unique_ptr<Server>> Server::Create(const ServerOptions& options, Handler* handler) {
  auto server = std::make_unique<ServerImpl>(options, handler);
  RETURN_IF_ERROR(server->Init());
  return std::unique_ptr<Server>(std::move(server));
}

}  // namespace bulwark::http
