#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <set>
#include <thread>

#include "protocol/embedded_models.h"
#include "protocol/internal.h"
#include "protocol/protocol.h"

namespace bulwark::protocol {
namespace {

// Walks every shape reachable from `shape`, checking that references resolve.
void WalkShape(const Shape* shape, std::set<const Shape*>* seen) {
  ASSERT_NE(shape, nullptr);
  if (!seen->insert(shape).second) return;
  switch (shape->type) {
    case ShapeType::kStructure:
      for (const Member& m : shape->members) {
        ASSERT_NE(m.shape, nullptr) << shape->name << "." << m.name;
        EXPECT_FALSE(m.wire_name.empty());
        WalkShape(m.shape, seen);
      }
      break;
    case ShapeType::kList:
      WalkShape(shape->member, seen);
      break;
    case ShapeType::kMap:
      WalkShape(shape->key, seen);
      WalkShape(shape->value, seen);
      break;
    default:
      break;
  }
}

TEST(ModelRegistryTest, EveryEmbeddedModelLoadsAndEveryOperationResolves) {
  const ModelRegistry& registry = ModelRegistry::Instance();
  ASSERT_EQ(EmbeddedModels().size(), 18u);
  size_t operations = 0;
  for (const EmbeddedModel& m : EmbeddedModels()) {
    const ServiceModel* service = registry.Find(m.name);
    ASSERT_NE(service, nullptr) << m.name;
    EXPECT_TRUE(service->valid()) << m.name;
    EXPECT_FALSE(service->api_version().empty()) << m.name;
    EXPECT_FALSE(service->signing_name().empty()) << m.name;
    std::vector<std::string_view> names = service->OperationNames();
    EXPECT_GT(names.size(), 5u) << m.name;
    for (std::string_view name : names) {
      const OperationModel* op = service->FindOperation(name);
      ASSERT_NE(op, nullptr) << m.name << " " << name;
      EXPECT_EQ(op->name(), name);
      EXPECT_FALSE(op->http_method().empty());
      EXPECT_EQ(op->request_uri().front(), '/') << m.name << " " << name;
      std::set<const Shape*> seen;
      if (op->input() != nullptr) {
        EXPECT_EQ(op->input()->type, ShapeType::kStructure);
        WalkShape(op->input(), &seen);
      }
      if (op->output() != nullptr) {
        EXPECT_EQ(op->output()->type, ShapeType::kStructure);
        WalkShape(op->output(), &seen);
      }
      ++operations;
    }
    if (service->protocol() == Protocol::kRestJson) {
      EXPECT_EQ(service->Routes().size(), names.size()) << m.name;
    } else {
      EXPECT_TRUE(service->Routes().empty());
    }
  }
  EXPECT_EQ(operations, 1181u);
}

TEST(ModelRegistryTest, Metadata) {
  const ModelRegistry& r = ModelRegistry::Instance();
  const ServiceModel* kms = r.Find("kms");
  ASSERT_NE(kms, nullptr);
  EXPECT_EQ(kms->protocol(), Protocol::kJson);
  EXPECT_EQ(kms->target_prefix(), "TrentService");
  EXPECT_EQ(kms->json_version(), "1.1");
  EXPECT_EQ(kms->signing_name(), "kms");
  EXPECT_EQ(kms->api_version(), "2014-11-01");

  const ServiceModel* iam = r.Find("iam");
  ASSERT_NE(iam, nullptr);
  EXPECT_EQ(iam->protocol(), Protocol::kQuery);
  EXPECT_EQ(iam->xml_namespace(), "https://iam.amazonaws.com/doc/2010-05-08/");
  EXPECT_EQ(iam->api_version(), "2010-05-08");

  EXPECT_EQ(r.Find("sts")->protocol(), Protocol::kQuery);
  EXPECT_EQ(r.Find("guardduty")->protocol(), Protocol::kRestJson);
  EXPECT_EQ(r.Find("macie2")->protocol(), Protocol::kRestJson);
  EXPECT_EQ(r.Find("acm-pca")->target_prefix(), "ACMPrivateCA");
  EXPECT_EQ(r.Find("nope"), nullptr);

  EXPECT_EQ(r.FindByTargetPrefix("TrentService"), kms);
  EXPECT_EQ(r.FindByTargetPrefix("AmazonSSM"), r.Find("ssm"));
  EXPECT_EQ(r.FindByTargetPrefix("com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101"),
            r.Find("cloudtrail"));
  EXPECT_EQ(r.FindByTargetPrefix(""), nullptr);
  EXPECT_EQ(r.FindByTargetPrefix("Trent"), nullptr);

  EXPECT_EQ(r.FindBySigningName("access-analyzer"), r.Find("accessanalyzer"));
  EXPECT_EQ(r.FindBySigningName("detective"), r.Find("detective"));
  EXPECT_EQ(r.FindBySigningName("iam"), iam);
  EXPECT_EQ(r.FindBySigningName("sts"), r.Find("sts"));
  EXPECT_EQ(r.FindBySigningName("acm-pca"), r.Find("acm-pca"));
  EXPECT_EQ(r.FindBySigningName("config"), r.Find("config"));
  EXPECT_EQ(r.FindBySigningName(""), nullptr);
}

TEST(ModelRegistryTest, OperationDetails) {
  const ServiceModel* iam = ModelRegistry::Instance().Find("iam");
  const OperationModel* create_user = iam->FindOperation("CreateUser");
  ASSERT_NE(create_user, nullptr);
  EXPECT_EQ(create_user->result_wrapper(), "CreateUserResult");
  EXPECT_EQ(OperationName(*create_user), "CreateUser");
  const Member* user_name = create_user->input()->FindMember("UserName");
  ASSERT_NE(user_name, nullptr);
  EXPECT_TRUE(user_name->required);
  EXPECT_EQ(user_name->shape->max, 64);
  EXPECT_EQ(iam->FindOperation("createuser"), nullptr);

  const ServiceModel* gd = ModelRegistry::Instance().Find("guardduty");
  const OperationModel* create = gd->FindOperation("CreateDetector");
  ASSERT_NE(create, nullptr);
  EXPECT_EQ(create->http_method(), "POST");
  EXPECT_EQ(create->request_uri(), "/detector");
  const OperationModel* get = gd->FindOperation("GetDetector");
  const Member* id = get->input()->FindMember("DetectorId");
  ASSERT_NE(id, nullptr);
  EXPECT_EQ(id->location, Location::kUri);
  EXPECT_EQ(id->wire_name, "DetectorId");
}

TEST(ModelRegistryTest, RoutesAreOrderedMostSpecificFirst) {
  const ServiceModel* hub = ModelRegistry::Instance().Find("securityhub");
  const auto& routes = hub->Routes();
  int results = -1, insights = -1;
  for (size_t i = 0; i < routes.size(); ++i) {
    if (routes[i].operation->name() == "GetInsightResults") results = static_cast<int>(i);
    if (routes[i].operation->name() == "DeleteInsight") insights = static_cast<int>(i);
  }
  ASSERT_GE(results, 0);
  ASSERT_GE(insights, 0);
  EXPECT_LT(results, insights);
}

TEST(ModelRegistryTest, ConcurrentFirstUseIsSafe) {
  // Fresh models so the lazy parse really happens concurrently.
  std::vector<std::unique_ptr<ServiceModel>> models;
  for (const EmbeddedModel& m : EmbeddedModels()) {
    models.push_back(std::make_unique<ServiceModel>(m.name, m.text()));
  }
  std::atomic<int> found{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (const auto& m : models) {
        if (!m->OperationNames().empty() && m->FindOperation(m->OperationNames()[0])) ++found;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(found.load(), 4 * 18);
}

TEST(ModelRegistryTest, ReadingMetadataIsCheap) {
  // Startup builds one ServiceModel per embedded model; only the metadata is parsed.
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i) {
    for (const EmbeddedModel& m : EmbeddedModels()) {
      ServiceModel s(m.name, m.text());
      EXPECT_FALSE(s.api_version().empty());
    }
  }
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  start)
                .count();
  EXPECT_LT(ms / 5, 100);
}

TEST(ModelRegistryTest, MalformedModelsAreRejectedNotFatal) {
  for (std::string_view text : {std::string_view(""), std::string_view("{"),
                                std::string_view(R"({"metadata":{"protocol":"smoke"}})"),
                                std::string_view(R"({"metadata":{"protocol":"json"}})"),
                                std::string_view(R"({"metadata":{"protocol":"json"},
                                   "operations":{"A":{"input":{"shape":"Missing"}}},
                                   "shapes":{}})"),
                                std::string_view(R"({"metadata":{"protocol":"json"},
                                   "operations":{},
                                   "shapes":{"S":{"type":"list","member":{"shape":"X"}}}})")}) {
    ServiceModel s("bad", text);
    EXPECT_FALSE(s.valid()) << text;
    EXPECT_EQ(s.FindOperation("A"), nullptr);
    EXPECT_TRUE(s.OperationNames().empty());
  }
  ServiceModel ok("ok", R"({"metadata":{"protocol":"json","targetPrefix":"T","apiVersion":"1"},
      "operations":{"A":{"name":"A","http":{"method":"POST","requestUri":"/"},
                         "input":{"shape":"In"}}},
      "shapes":{"In":{"type":"structure","members":{"X":{"shape":"S"}}},
                "S":{"type":"string"}}})");
  EXPECT_TRUE(ok.valid());
  EXPECT_EQ(ok.json_version(), "1.0");  // the default when the model has none
  EXPECT_NE(ok.FindOperation("A"), nullptr);
}

}  // namespace
}  // namespace bulwark::protocol
